package redisstore

// luaWindows computes, from the time now_ms (ARGV[1]; negative: Redis's own clock), the
// UTC minute and the budget windows exactly as state.Windows does, and defines the
// functions the scripts share. Money and counts are integers well inside the 2^53 that
// Lua's numbers hold exactly (nano-USD: up to 9 million USD).
//
// Counters are loaded once per key and script (get), changed in the Lua table, and
// written back once at the end (flush), whatever number of settlements and reservations
// the script applies to the key.
const luaWindows = `
local now_ms = tonumber(ARGV[1])
if now_ms < 0 then
  local t = redis.call('TIME')
  now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local fl, mx = math.floor, math.max
local sec = fl(now_ms / 1000)
local minute = fl(sec / 60)
local day = fl(sec / 86400)
local function civil(days)
  local z = days + 719468
  local era = fl(z / 146097)
  local doe = z - era * 146097
  local yoe = fl((doe - fl(doe / 1460) + fl(doe / 36524) - fl(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + fl(yoe / 4) - fl(yoe / 100))
  local mp = fl((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m
end
local y, m = civil(day)
local win = {day, fl((day + 3) / 7), y * 12 + m - 1, 0}
local function window_end_ms(p)
  if p == 1 then return (day + 1) * 86400000 end
  if p == 2 then return ((win[2] + 1) * 7 - 3) * 86400000 end
  if p == 3 then
    local ny, nm = y, m + 1
    if nm > 12 then ny, nm = y + 1, 1 end
    if nm <= 2 then ny = ny - 1 end
    local era = fl(ny / 400)
    local yoe = ny - era * 400
    local mp = nm > 2 and nm - 3 or nm + 9
    return (era * 146097 + yoe * 365 + fl(yoe / 4) - fl(yoe / 100) + fl((153 * mp + 2) / 5) - 719468) * 86400000
  end
  return 0
end
local cache, touched = {}, {}
local function get(k)
  local c = cache[k]
  if c then return c end
  local h = redis.call('HMGET', KEYS[k], 'm', 'req', 'tok', 'inf', 'w1', 'w2', 'w3', 'w4', 's1', 's2', 's3', 's4')
  c = {m = tonumber(h[1]), req = tonumber(h[2]) or 0, tok = tonumber(h[3]) or 0, inf = tonumber(h[4]) or 0, w = {}, s = {}}
  if c.m ~= minute then c.m, c.req, c.tok = minute, 0, 0 end
  for p = 1, 4 do
    c.w[p], c.s[p] = tonumber(h[4 + p]), tonumber(h[8 + p]) or 0
    if c.w[p] ~= win[p] then c.w[p], c.s[p] = win[p], 0 end
  end
  cache[k] = c
  return c
end
local function flush()
  for k, c in pairs(touched) do
    redis.call('HSET', KEYS[k], 'm', c.m, 'req', c.req, 'tok', c.tok, 'inf', c.inf,
      'w1', c.w[1], 'w2', c.w[2], 'w3', c.w[3], 'w4', c.w[4],
      's1', c.s[1], 's2', c.s[2], 's3', c.s[3], 's4', c.s[4])
  end
end
-- settle applies the settlements that start at ARGV[a]: their number, then each as its
-- number of levels n, n indexes into KEYS, the reservation's minute and four windows, its
-- tokens and cost, the real tokens and cost. It gives back each reservation and counts the
-- real use, and returns the index after the settlements.
local function settle(a)
  local ns = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, ns do
    local n = tonumber(ARGV[a])
    local b = a + n
    local rmin, rtok, rcost = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 6]), tonumber(ARGV[b + 7])
    local tokens, cost = tonumber(ARGV[b + 8]), tonumber(ARGV[b + 9])
    for j = 1, n do
      local k = tonumber(ARGV[a + j])
      local c = get(k)
      touched[k] = c
      c.inf = mx(c.inf - 1, 0)
      if c.m == rmin then c.tok = mx(c.tok - rtok + tokens, 0) end
      for p = 1, 4 do
        if c.w[p] == tonumber(ARGV[b + 1 + p]) then c.s[p] = c.s[p] - rcost end
        c.s[p] = mx(c.s[p] + cost, 0)
      end
    end
    a = b + 10
  end
  return a
end
`

// reserveScript first applies the settlements queued in this process (see settle), then
// takes a reservation from every level or nothing. ARGV: now_ms, the settlements, then
// tokens, cost, the number of levels, and per level its index into KEYS, rpm, tpm,
// max_in_flight and the four budgets. It returns {refusal, level (1-based), period
// (1-based), retry_after_ms, limit_requests, remaining_requests, limit_tokens,
// remaining_tokens, reset_ms, minute, w1, w2, w3, w4}, the same decision as memstore's, in
// the same order: budgets, then max_in_flight, rpm and tpm, level by level.
const reserveScript = luaWindows + `
local a = settle(2)
local tokens, cost, n = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
local cs, ls = {}, {}
for i = 1, n do
  local b = a + 3 + (i - 1) * 8
  cs[i] = get(tonumber(ARGV[b]))
  ls[i] = {rpm = tonumber(ARGV[b + 1]), tpm = tonumber(ARGV[b + 2]), inf = tonumber(ARGV[b + 3]),
    budget = {tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6]), tonumber(ARGV[b + 7])}}
end
local reset_ms = (minute + 1) * 60000 - now_ms
local lr, rr, lt, rt = 0, 0, 0, 0
local function headers()
  for i = 1, n do
    local l, c = ls[i], cs[i]
    if l.rpm > 0 then
      local rem = mx(l.rpm - c.req, 0)
      if lr == 0 or rem < rr then lr, rr = l.rpm, rem end
    end
    if l.tpm > 0 then
      local rem = mx(l.tpm - c.tok, 0)
      if lt == 0 or rem < rt then lt, rt = l.tpm, rem end
    end
  end
end
local function reply(refusal, level, period, retry)
  flush()
  return {refusal, level, period, retry, lr, rr, lt, rt, reset_ms, minute, win[1], win[2], win[3], win[4]}
end
for i = 1, n do
  for p = 1, 4 do
    local b = ls[i].budget[p]
    if b > 0 and cs[i].s[p] + cost > b then
      local retry = 0
      if p < 4 then retry = window_end_ms(p) - now_ms end
      return reply(1, i, p, retry)
    end
  end
end
for i = 1, n do
  local l, c = ls[i], cs[i]
  local refusal, retry = 0, 0
  if l.inf > 0 and c.inf >= l.inf then refusal = 4
  elseif l.rpm > 0 and c.req + 1 > l.rpm then refusal, retry = 2, reset_ms
  elseif l.tpm > 0 and c.tok + tokens > l.tpm then refusal, retry = 3, reset_ms end
  if refusal > 0 then
    headers()
    return reply(refusal, i, 1, retry)
  end
end
for i = 1, n do
  local c = cs[i]
  c.req, c.tok, c.inf = c.req + 1, c.tok + tokens, c.inf + 1
  for p = 1, 4 do c.s[p] = c.s[p] + cost end
  touched[tonumber(ARGV[a + 3 + (i - 1) * 8])] = c
end
headers()
return reply(0, 0, 1, 0)
`

// settleScript applies settlements only. ARGV: now_ms, then the settlements (see settle).
const settleScript = luaWindows + `
settle(2)
flush()
return 0
`

// usageScript reads one level's counters in the current windows. ARGV: now_ms. It returns
// {requests, tokens, in_flight, s1, s2, s3, s4, minute, w1, w2, w3, w4}.
const usageScript = luaWindows + `
local c = get(1)
return {c.req, c.tok, c.inf, c.s[1], c.s[2], c.s[3], c.s[4], minute, win[1], win[2], win[3], win[4]}
`

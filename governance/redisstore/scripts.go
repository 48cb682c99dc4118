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
-- A level's counters are one array: 1 minute, 2 requests, 3 tokens, 4 in flight, 5-8 the
-- four budget windows, 9-12 the spent in each. They are kept in the hash's field v, packed
-- as twelve little-endian int64 (one field: reading and writing it costs a third of twelve
-- fields). A hash written by an older version, with a field per counter, is read once.
local PACK = '<i8i8i8i8i8i8i8i8i8i8i8i8'
local cache, touched = {}, {}
local function get(k)
  local c = cache[k]
  if c then return c end
  local v = redis.call('HGET', KEYS[k], 'v')
  if v then
    c = {struct.unpack(PACK, v)}
  else
    local h = redis.call('HMGET', KEYS[k], 'm', 'req', 'tok', 'inf', 'w1', 'w2', 'w3', 'w4', 's1', 's2', 's3', 's4')
    c = {}
    for i = 1, 12 do c[i] = tonumber(h[i]) or 0 end
  end
  if c[1] ~= minute then c[1], c[2], c[3] = minute, 0, 0 end
  for p = 1, 4 do
    if c[4 + p] ~= win[p] then c[4 + p], c[8 + p] = win[p], 0 end
  end
  cache[k] = c
  return c
end
local function flush()
  for k, c in pairs(touched) do
    redis.call('HSET', KEYS[k], 'v', struct.pack(PACK, c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12]))
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
      c[4] = mx(c[4] - 1, 0)
      if c[1] == rmin then c[3] = mx(c[3] - rtok + tokens, 0) end
      for p = 1, 4 do
        local sp = c[8 + p]
        if c[4 + p] == tonumber(ARGV[b + 1 + p]) then sp = sp - rcost end
        c[8 + p] = mx(sp + cost, 0)
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
  ls[i] = {tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]),
    tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6]), tonumber(ARGV[b + 7])}
end
local reset_ms = (minute + 1) * 60000 - now_ms
local lr, rr, lt, rt = 0, 0, 0, 0
local function headers()
  for i = 1, n do
    local l, c = ls[i], cs[i]
    if l[1] > 0 then
      local rem = mx(l[1] - c[2], 0)
      if lr == 0 or rem < rr then lr, rr = l[1], rem end
    end
    if l[2] > 0 then
      local rem = mx(l[2] - c[3], 0)
      if lt == 0 or rem < rt then lt, rt = l[2], rem end
    end
  end
end
local function reply(refusal, level, period, retry)
  flush()
  return {refusal, level, period, retry, lr, rr, lt, rt, reset_ms, minute, win[1], win[2], win[3], win[4]}
end
for i = 1, n do
  local l, c = ls[i], cs[i]
  for p = 1, 4 do
    local b = l[3 + p]
    if b > 0 and c[8 + p] + cost > b then
      local retry = 0
      if p < 4 then retry = window_end_ms(p) - now_ms end
      return reply(1, i, p, retry)
    end
  end
end
for i = 1, n do
  local l, c = ls[i], cs[i]
  local refusal, retry = 0, 0
  if l[3] > 0 and c[4] >= l[3] then refusal = 4
  elseif l[1] > 0 and c[2] + 1 > l[1] then refusal, retry = 2, reset_ms
  elseif l[2] > 0 and c[3] + tokens > l[2] then refusal, retry = 3, reset_ms end
  if refusal > 0 then
    headers()
    return reply(refusal, i, 1, retry)
  end
end
for i = 1, n do
  local c = cs[i]
  c[2], c[3], c[4] = c[2] + 1, c[3] + tokens, c[4] + 1
  for p = 9, 12 do c[p] = c[p] + cost end
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
return {c[2], c[3], c[4], c[9], c[10], c[11], c[12], minute, win[1], win[2], win[3], win[4]}
`

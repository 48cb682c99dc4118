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
-- four budget windows, 9-12 the spent in each; then what replicas hold leased and have
-- not used: 13 requests and 14 tokens of this minute, 15 in-flight slots and 16 nano-USD
-- leased this minute, 17 and 18 the same leased the minute before. A lease lasts at most
-- until the end of its minute and is given back soon after, so what a replica leased and
-- never gave back (it died) stops counting two minutes later. They are kept in the hash's
-- field v, packed as little-endian int64 (one field: reading and writing it costs a third
-- of a field per counter). A value of twelve (written before leases) reads with nothing
-- leased; a hash written by an older version, with a field per counter, is read once.
local PACK = '<i8i8i8i8i8i8i8i8i8i8i8i8i8i8i8i8i8i8'
local PACK12 = '<i8i8i8i8i8i8i8i8i8i8i8i8'
local cache, touched = {}, {}
local function get(k)
  local c = cache[k]
  if c then return c end
  local v = redis.call('HGET', KEYS[k], 'v')
  if v and #v == 144 then
    c = {struct.unpack(PACK, v)}
  elseif v then
    c = {struct.unpack(PACK12, v)}
  else
    local h = redis.call('HMGET', KEYS[k], 'm', 'req', 'tok', 'inf', 'w1', 'w2', 'w3', 'w4', 's1', 's2', 's3', 's4')
    c = {}
    for i = 1, 12 do c[i] = tonumber(h[i]) or 0 end
  end
  for i = 13, 18 do c[i] = c[i] or 0 end
  if c[1] ~= minute then
    if c[1] == minute - 1 then c[17], c[18] = c[15], c[16] else c[17], c[18] = 0, 0 end
    c[1], c[2], c[3], c[13], c[14], c[15], c[16] = minute, 0, 0, 0, 0, 0, 0
  end
  for p = 1, 4 do
    if c[4 + p] ~= win[p] then c[4 + p], c[8 + p] = win[p], 0 end
  end
  cache[k] = c
  return c
end
-- slot returns the index of the in-flight slots leased in minute m (nano-USD: the next),
-- or nil once they no longer count.
local function slot(c, m)
  if m == c[1] then return 15 end
  if m == c[1] - 1 then return 17 end
end
local function flush()
  for k, c in pairs(touched) do
    redis.call('HSET', KEYS[k], 'v', struct.pack(PACK, c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10],
      c[11], c[12], c[13], c[14], c[15], c[16], c[17], c[18]))
  end
end
-- settle applies the entries that start at ARGV[a]: their number, then each as its number
-- of levels n, n indexes into KEYS, the minute and four windows it was counted in, its
-- kind and eight numbers x1..x8. Kind 0 settles a reservation: it gives back its worst
-- case (x1 tokens, x2 nano-USD), counts the real use (x3 tokens, x4 nano-USD) and ends
-- its in-flight count. Kind 1 reports a lease's use: x1..x4 (requests, tokens, nano-USD,
-- in-flight slots) move from leased to counted, and x5..x8 of the same go back unused;
-- what was leased two minutes ago or more is no longer there to give back.
-- Nothing is clamped: entries sent on different connections may run in either order,
-- and sums come out the same. It returns the index after the entries.
local function settle(a)
  local ns = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, ns do
    local n = tonumber(ARGV[a])
    local b = a + n
    local rmin, kind = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 6])
    local x = {}
    for i = 1, 8 do x[i] = tonumber(ARGV[b + 6 + i]) end
    for j = 1, n do
      local k = tonumber(ARGV[a + j])
      local c = get(k)
      touched[k] = c
      if kind == 0 then
        c[4] = c[4] - 1
        if c[1] == rmin then c[3] = c[3] - x[1] + x[3] end
        for p = 1, 4 do
          if c[4 + p] == tonumber(ARGV[b + 1 + p]) then c[8 + p] = c[8 + p] - x[2] end
          c[8 + p] = c[8 + p] + x[4]
        end
      else
        c[4] = c[4] + x[4]
        local s = slot(c, rmin)
        if s then c[s], c[s + 1] = c[s] - x[4] - x[8], c[s + 1] - x[3] - x[7] end
        if c[1] == rmin then
          c[2], c[13] = c[2] + x[1], c[13] - x[1] - x[5]
          c[3], c[14] = c[3] + x[2], c[14] - x[2] - x[6]
        end
        for p = 1, 4 do
          if c[4 + p] == tonumber(ARGV[b + 1 + p]) then c[8 + p] = c[8 + p] + x[3] end
        end
      end
    end
    a = b + 15
  end
  return a
end
`

// reserveScript first applies the entries queued in this process (see settle), then
// takes a reservation from every level or nothing. ARGV: now_ms, the entries, then tokens,
// cost, the number of levels, whether to lease, and per level its index into KEYS, rpm,
// tpm, max_in_flight, the four budgets, and the lease it asks for (requests, tokens,
// nano-USD, in-flight slots). Leased and unused shares count as used. It returns
// {refusal, level (1-based), period (1-based), retry_after_ms, limit_requests,
// remaining_requests, limit_tokens, remaining_tokens, reset_ms, minute, w1, w2, w3, w4,
// leased}, the same decision as memstore's, in the same order: budgets, then
// max_in_flight, rpm and tpm, level by level. When admitted with a lease asked for and
// every level has at least sixteen times the lease's room left after the request (each
// share capped at a sixteenth of that room, and the lease worth one more such request),
// leased is 1 and per level follow the shares granted (requests, tokens, nano-USD,
// in-flight slots) and the requests and tokens left after them (-1: no limit).
const reserveScript = luaWindows + `
local a = settle(2)
local tokens, cost, n, want = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
local cs, ls, ds, ks = {}, {}, {}, {}
for i = 1, n do
  local b = a + 4 + (i - 1) * 12
  ks[i] = tonumber(ARGV[b])
  cs[i] = get(ks[i])
  ls[i] = {tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]),
    tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6]), tonumber(ARGV[b + 7])}
  ds[i] = {tonumber(ARGV[b + 8]), tonumber(ARGV[b + 9]), tonumber(ARGV[b + 10]), tonumber(ARGV[b + 11])}
end
local function ureq(c) return c[2] + c[13] end
local function utok(c) return c[3] + c[14] end
local function uinf(c) return c[4] + c[15] + c[17] end
local function ucost(c, p) return c[8 + p] + c[16] + c[18] end
local reset_ms = (minute + 1) * 60000 - now_ms
local lr, rr, lt, rt = 0, 0, 0, 0
local function headers()
  for i = 1, n do
    local l, c = ls[i], cs[i]
    if l[1] > 0 then
      local rem = mx(l[1] - ureq(c), 0)
      if lr == 0 or rem < rr then lr, rr = l[1], rem end
    end
    if l[2] > 0 then
      local rem = mx(l[2] - utok(c), 0)
      if lt == 0 or rem < rt then lt, rt = l[2], rem end
    end
  end
end
local function reply(refusal, level, period, retry, extra)
  flush()
  local out = {refusal, level, period, retry, lr, rr, lt, rt, reset_ms, minute, win[1], win[2], win[3], win[4], 0}
  if extra then
    out[15] = 1
    for _, e in ipairs(extra) do out[#out + 1] = e end
  end
  return out
end
for i = 1, n do
  local l, c = ls[i], cs[i]
  for p = 1, 4 do
    local b = l[3 + p]
    if b > 0 and ucost(c, p) + cost > b then
      local retry = 0
      if p < 4 then retry = window_end_ms(p) - now_ms end
      return reply(1, i, p, retry)
    end
  end
end
for i = 1, n do
  local l, c = ls[i], cs[i]
  local refusal, retry = 0, 0
  if l[3] > 0 and uinf(c) >= l[3] then refusal = 4
  elseif l[1] > 0 and ureq(c) + 1 > l[1] then refusal, retry = 2, reset_ms
  elseif l[2] > 0 and utok(c) + tokens > l[2] then refusal, retry = 3, reset_ms end
  if refusal > 0 then
    headers()
    return reply(refusal, i, 1, retry)
  end
end
-- share returns the lease's share of a limit: what was asked, capped at a sixteenth of
-- the room left after this request.
local function share(ask, limit, used)
  if limit <= 0 then return ask end
  return math.min(ask, fl((limit - used) / 16))
end
local grants
if want == 1 then
  grants = {}
  for i = 1, n do
    local l, c, d = ls[i], cs[i], ds[i]
    local g = {share(d[1], l[1], ureq(c) + 1), share(d[2], l[2], utok(c) + tokens), d[3], share(d[4], l[3], uinf(c) + 1)}
    for p = 1, 4 do g[3] = share(g[3], l[3 + p], ucost(c, p) + cost) end
    if g[1] < 1 or g[2] < tokens or g[3] < cost or g[4] < 1 then
      grants = nil
      break
    end
    grants[i] = g
  end
end
for i = 1, n do
  local c = cs[i]
  c[2], c[3], c[4] = c[2] + 1, c[3] + tokens, c[4] + 1
  for p = 9, 12 do c[p] = c[p] + cost end
  local g = grants and grants[i]
  if g then
    c[13], c[14], c[15], c[16] = c[13] + g[1], c[14] + g[2], c[15] + g[4], c[16] + g[3]
  end
  touched[ks[i]] = c
end
headers()
local extra
if grants then
  extra = {}
  for i = 1, n do
    local l, c, g = ls[i], cs[i], grants[i]
    local remr, remt = -1, -1
    if l[1] > 0 then remr = mx(l[1] - ureq(c), 0) end
    if l[2] > 0 then remt = mx(l[2] - utok(c), 0) end
    for _, e in ipairs({g[1], g[2], g[3], g[4], remr, remt}) do extra[#extra + 1] = e end
  end
end
return reply(0, 0, 1, 0, extra)
`

// settleScript applies settlements only. ARGV: now_ms, then the settlements (see settle).
const settleScript = luaWindows + `
settle(2)
flush()
return 0
`

// usageScript reads one level's counters in the current windows, without what is leased
// and unused. ARGV: now_ms. It returns
// {requests, tokens, in_flight, s1, s2, s3, s4, minute, w1, w2, w3, w4}.
const usageScript = luaWindows + `
local c = get(1)
return {mx(c[2], 0), mx(c[3], 0), mx(c[4], 0), mx(c[9], 0), mx(c[10], 0), mx(c[11], 0), mx(c[12], 0),
  minute, win[1], win[2], win[3], win[4]}
`

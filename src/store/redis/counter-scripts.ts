/**
 * Lua scripts of the Redis counters. Layout under the prefix:
 *   c:<key>  hash { spent, reserved }           counter (expires with its window)
 *   z:<key>  zset member "<amount>:<resId>"     live holds scored by lease expiry (same TTL as c:)
 *   r:<id>   hash { st h|s|x, n, lease, t, k<i>, a<i>, l<i> }   one reservation
 *   h:<key>:<windowIndex>  string counter       sliding-window rate counts
 * Numbers cross into redis.call as strings (ARGV as given, or string.format('%d')): Lua 5.1 prints
 * numbers with %.14g, which would turn 1e14 into "1e+14". Values stay below 2^53, so Lua's doubles
 * compare them exactly. settle/release/extend derive key names from the reservation record, so
 * a Redis Cluster needs a hash-tagged prefix (e.g. "tm:{counters}:") to keep them in one slot.
 */

const SWEEP = `
local function sweep(c, z, now)
  local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  if #expired == 0 then return end
  local total = 0
  for i = 1, #expired do
    local m = expired[i]
    total = total + tonumber(string.sub(m, 1, string.find(m, ':', 1, true) - 1))
  end
  redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
  if total > 0 and redis.call('EXISTS', c) == 1 then
    redis.call('HINCRBY', c, 'reserved', string.format('%d', -total))
  end
end
`;

/**
 * KEYS: r:<id>, then per entry c:<key>, z:<key>, then c/z of each prior key.
 * ARGV: id, now, leaseExpiresAt, recordTtlMs, n, then per entry: key, amount, limit, ttlMs, priorCount.
 * Returns {1, spent1, reserved1, ...} held; {2, lease, ...} the same id is already held (replay);
 * {0, index, spent, reserved} did not fit (nothing held); {-1} the id was already used.
 */
export const RESERVE_SCRIPT = `${SWEEP}
local id = ARGV[1]
local now = tonumber(ARGV[2])
local n = tonumber(ARGV[5])
local existing = redis.call('HMGET', KEYS[1], 'st', 'lease')
local replay = false
if existing[1] then
  if existing[1] == 'h' and tonumber(existing[2]) > now then replay = true else return {-1} end
end
local out = {1}
local k = 2
local a = 6
for i = 1, n do
  local c, z = KEYS[k], KEYS[k + 1]
  local amount = tonumber(ARGV[a + 1])
  local np = tonumber(ARGV[a + 4])
  sweep(c, z, now)
  local v = redis.call('HMGET', c, 'spent', 'reserved')
  local spent = tonumber(v[1]) or 0
  local reserved = tonumber(v[2]) or 0
  for j = 1, np do
    local pc = KEYS[k + 2 * j]
    sweep(pc, KEYS[k + 2 * j + 1], now)
    local pv = redis.call('HMGET', pc, 'spent', 'reserved')
    spent = spent + (tonumber(pv[1]) or 0)
    reserved = reserved + (tonumber(pv[2]) or 0)
  end
  if not replay then
    if spent + reserved + amount > tonumber(ARGV[a + 2]) then return {0, i, spent, reserved} end
    reserved = reserved + amount
  end
  out[#out + 1] = spent
  out[#out + 1] = reserved
  k = k + 2 + 2 * np
  a = a + 5
end
if replay then
  table.insert(out, 2, tonumber(existing[2]))
  out[1] = 2
  return out
end
local lease = ARGV[3]
local record = {'st', 'h', 'n', ARGV[5], 'lease', lease, 't', ARGV[2]}
k = 2
a = 6
for i = 1, n do
  local c, z = KEYS[k], KEYS[k + 1]
  local amount, ttl = ARGV[a + 1], ARGV[a + 3]
  if amount ~= '0' then redis.call('HINCRBY', c, 'reserved', amount) end
  redis.call('ZADD', z, lease, amount .. ':' .. id)
  redis.call('PEXPIRE', c, ttl)
  redis.call('PEXPIRE', z, ttl)
  record[#record + 1] = 'k' .. i
  record[#record + 1] = ARGV[a]
  record[#record + 1] = 'a' .. i
  record[#record + 1] = amount
  record[#record + 1] = 'l' .. i
  record[#record + 1] = ttl
  k = k + 2 + 2 * tonumber(ARGV[a + 4])
  a = a + 5
end
redis.call('HSET', KEYS[1], unpack(record))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return out
`;

/**
 * KEYS: r:<id>. ARGV: prefix, id, now, retentionMs, mode ('s' settle per key | 'S' one amount for all | 'x' release), actual amounts.
 * Returns {1, spent1, ...} (settle) or {1} (release); {0} already settled/released; {-1} unknown id; {-2, n} wrong amount count.
 */
export const FINISH_SCRIPT = `
local rec = redis.call('HMGET', KEYS[1], 'st', 'n', 't')
if not rec[1] then return {-1} end
if rec[1] ~= 'h' then return {0} end
local n = tonumber(rec[2])
local elapsed = tonumber(ARGV[3]) - tonumber(rec[3])
local settle = ARGV[5] ~= 'x'
local single = ARGV[5] == 'S'
if ARGV[5] == 's' and #ARGV ~= 5 + n then return {-2, n} end
local out = {1}
for i = 1, n do
  local f = redis.call('HMGET', KEYS[1], 'k' .. i, 'a' .. i, 'l' .. i)
  local c = ARGV[1] .. 'c:' .. f[1]
  if redis.call('ZREM', ARGV[1] .. 'z:' .. f[1], f[2] .. ':' .. ARGV[2]) == 1 and f[2] ~= '0' then
    redis.call('HINCRBY', c, 'reserved', '-' .. f[2])
  end
  if settle then
    local actual = ARGV[6]
    if not single then actual = ARGV[5 + i] end
    out[i + 1] = redis.call('HINCRBY', c, 'spent', actual)
    if redis.call('PTTL', c) < 0 then
      redis.call('PEXPIRE', c, string.format('%d', math.max(tonumber(f[3]) - elapsed, 1000)))
    end
  end
end
redis.call('HSET', KEYS[1], 'st', settle and 's' or 'x')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return out
`;

/** KEYS: r:<id>. ARGV: prefix, id, now, newLease, recordTtlMs. Returns 1 extended, 0 not held or lease already expired. */
export const EXTEND_SCRIPT = `
local rec = redis.call('HMGET', KEYS[1], 'st', 'n', 'lease')
if rec[1] ~= 'h' or tonumber(rec[3]) <= tonumber(ARGV[3]) then return 0 end
for i = 1, tonumber(rec[2]) do
  local f = redis.call('HMGET', KEYS[1], 'k' .. i, 'a' .. i)
  redis.call('ZADD', ARGV[1] .. 'z:' .. f[1], 'XX', ARGV[4], f[2] .. ':' .. ARGV[2])
end
redis.call('HSET', KEYS[1], 'lease', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * KEYS: per entry the current and previous window counters. ARGV: now, n, then per entry: amount, limit, windowMs.
 * Counts every entry when all fit (same integer test as slidingWindowOutcome). Returns {allowed, prev1, cur1, ...} (counts before the hit).
 */
export const HIT_SCRIPT = `
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local out = {1}
for i = 1, n do
  local amount = tonumber(ARGV[3 * i])
  local limit = tonumber(ARGV[3 * i + 1])
  local w = tonumber(ARGV[3 * i + 2])
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1])) or 0
  local previous = tonumber(redis.call('GET', KEYS[2 * i])) or 0
  out[2 * i] = previous
  out[2 * i + 1] = current
  if current * w + previous * (w - now % w) + amount * w > limit * w then out[1] = 0 end
end
if out[1] == 1 then
  for i = 1, n do
    redis.call('INCRBY', KEYS[2 * i - 1], ARGV[3 * i])
    redis.call('PEXPIRE', KEYS[2 * i - 1], string.format('%d', 2 * tonumber(ARGV[3 * i + 2])))
  end
end
return out
`;

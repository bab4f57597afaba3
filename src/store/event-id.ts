import { randomFillSync } from 'node:crypto';

/** The millisecond of the newest id made here and the 12-bit counter used in it (RFC 9562, method 1). */
let lastMs = -1;
let counter = 0;

/** Random bytes drawn in bulk (10 per id, one refill per 409 ids), as node's randomUUID does. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
/** ASCII of the id being written; read out with one latin1 copy, so the id is a flat one-byte string. */
const scratch = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A new event id: a UUIDv7 (RFC 9562), i.e. the 48-bit ms timestamp first, then 74 random bits.
 * Time-ordered ids make the ledger's primary-key inserts append instead of scattering across the
 * whole index: on SQLite that is ~4x the ingest rate of random UUIDv4 ids at 1M rows (see bench/).
 * Ids made in the same millisecond also sort in creation order (a counter seeded at random in rand_a;
 * uniqueness rests on the other 62 random bits), so "ORDER BY ts, id" is the order things happened.
 * Written byte by byte into a scratch buffer: ~0.3 µs, where slicing and joining a randomUUID() took ~1.7 µs.
 */
export function newEventId(nowMs: number = Date.now()): string {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const random = poolAt;
  poolAt += 10;
  const ms = Math.max(0, Math.floor(nowMs));
  let randA = ((pool[random]! & 0x0f) << 8) | pool[random + 1]!;
  // Older timestamps (events recorded after the fact) and a spent counter keep random bits: unique, unordered.
  if (ms > lastMs || (ms === lastMs && counter < 0xfff)) {
    // A new millisecond seeds the counter with at least 2,048 steps before it would wrap.
    counter = ms > lastMs ? randA & 0x7ff : counter + 1;
    lastMs = ms;
    randA = counter;
  }
  // 48-bit time: 12 hex digits at 0-7 and 9-12 (the high 16 bits and the low 32 separately: no 64-bit maths).
  const high = Math.floor(ms / 0x100000000) & 0xffff;
  const low = ms >>> 0;
  writeHex(high, 4, 0);
  writeHex(low >>> 16, 4, 4);
  writeHex(low & 0xffff, 4, 9);
  writeHex(randA, 3, 15); // after the version digit "7" at 14
  scratch[19] = HEX[0x8 | (pool[random + 2]! & 0x3)]!; // RFC variant 10xx
  writeHex((pool[random + 3]! << 4) | (pool[random + 2]! >> 4), 3, 20);
  for (let i = 0; i < 6; i++) writeHex(pool[random + 4 + i]!, 2, 24 + 2 * i);
  return scratch.toString('latin1', 0, 36);
}

/** Writes `digits` lowercase hex digits of `value` into the scratch id at `at`. */
function writeHex(value: number, digits: number, at: number): void {
  for (let i = digits - 1; i >= 0; i--) {
    scratch[at + i] = HEX[value & 0xf]!;
    value >>>= 4;
  }
}

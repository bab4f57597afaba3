import { randomUUID } from 'node:crypto';

/** The millisecond of the newest id made here and the 12-bit counter used in it (RFC 9562, method 1). */
let lastMs = -1;
let counter = 0;

/**
 * A new event id: a UUIDv7 (RFC 9562), i.e. the 48-bit ms timestamp first, then 74 random bits.
 * Time-ordered ids make the ledger's primary-key inserts append instead of scattering across the
 * whole index: on SQLite that is ~4x the ingest rate of random UUIDv4 ids at 1M rows (see bench/).
 * Ids made in the same millisecond also sort in creation order (a counter seeded at random in rand_a;
 * uniqueness rests on the other 62 random bits), so "ORDER BY ts, id" is the order things happened.
 */
export function newEventId(nowMs: number = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V = RFC 4122 variant
  const ms = Math.max(0, Math.floor(nowMs));
  let randA = random.slice(15, 18);
  // Older timestamps (events recorded after the fact) and a spent counter keep random bits: unique, unordered.
  if (ms > lastMs || (ms === lastMs && counter < 0xfff)) {
    // A new millisecond seeds the counter with at least 2,048 steps before it would wrap.
    counter = ms > lastMs ? parseInt(randA, 16) & 0x7ff : counter + 1;
    lastMs = ms;
    randA = counter.toString(16).padStart(3, '0');
  }
  const time = ms.toString(16).padStart(12, '0').slice(-12);
  // join builds one flat string; a template literal leaves a tree of ~14 cons strings (~340 instead of ~65 bytes
  // per id), which is what ids kept for a while (queued events, the counters' duplicate window) would hold.
  return [time.slice(0, 8), time.slice(8, 12), `7${randA}`, random.slice(19)].join('-');
}

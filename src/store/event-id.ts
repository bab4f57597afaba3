import { randomUUID } from 'node:crypto';

/**
 * A new event id: a UUIDv7 (RFC 9562), i.e. the 48-bit ms timestamp first, then 74 random bits.
 * Time-ordered ids make the ledger's primary-key inserts append instead of scattering across the
 * whole index: on SQLite that is ~4x the ingest rate of random UUIDv4 ids at 1M rows (see bench/).
 */
export function newEventId(nowMs: number = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V = RFC 4122 variant
  const time = Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, '0').slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}

import {
  actualAmounts, assertValidReserve, decideHits, DEFAULT_LATE_SETTLE_GRACE_MS, DEFAULT_SETTLED_RETENTION_MS,
  type CounterState, type Counters, type CountersOptions, type HitEntry, type HitResult, type Reservation,
  type ReserveRequest, type ReserveResult, type SettleResult, type SettleStatus,
} from '../counters.js';

interface Cell {
  spent: number;
  reserved: number;
  /** Live holds on this key: reservation id -> amount and lease. */
  holds: Map<string, { amount: number; leaseExpiresAt: number }>;
  /** Earliest lease among holds (Infinity when none): sweeping is skipped until then. */
  nextLeaseExpiry: number;
  expiresAt: number;
}

/** A reservation still held (finished ones shrink to an entry in `finished`). */
interface ReservationRecord {
  reservation: Reservation;
  ttls: number[];
  reservedAt: number;
  forgetAt: number;
}

interface RateCell {
  index: number;
  windowMs: number;
  current: number;
  previous: number;
}

const GC_INTERVAL_MS = 10_000;

/**
 * Single-process counters. Synchronous inside, so every operation is atomic by construction;
 * the Promise API matches the Redis implementation. Forgotten state (expired keys, old
 * reservations, stale rate windows) is dropped by a sweep every 10 s of the callers' clock.
 */
export class MemoryCounters implements Counters {
  readonly kind = 'memory';
  private readonly cells = new Map<string, Cell>();
  /** Held reservations (few: the requests in flight), scanned by the sweep for abandoned holds. */
  private readonly records = new Map<string, ReservationRecord>();
  /**
   * Settled or released ids -> when to forget them, in the order they finished (retention is constant, so they
   * expire front first). Only the id is kept: at thousands of calls per second a whole record per id for the
   * retention window was tens of MiB of old-generation garbage.
   */
  private readonly finished = new Map<string, number>();
  private readonly rates = new Map<string, RateCell>();
  private readonly lateSettleGraceMs: number;
  private readonly settledRetentionMs: number;
  private nextGcAt = -Infinity;

  constructor(options: CountersOptions = {}) {
    this.lateSettleGraceMs = options.lateSettleGraceMs ?? DEFAULT_LATE_SETTLE_GRACE_MS;
    this.settledRetentionMs = options.settledRetentionMs ?? DEFAULT_SETTLED_RETENTION_MS;
  }

  /** True when this instance remembers the reservation (used by the Redis fail-open fallback). */
  has(id: string): boolean {
    return this.records.has(id) || this.finished.has(id);
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    assertValidReserve(request);
    const { id, entries, now } = request;
    this.maybeGc(now);
    const existing = this.records.get(id);
    if (existing && existing.forgetAt > now) {
      if (existing.reservation.leaseExpiresAt > now) {
        return { ok: true, reservation: existing.reservation, counts: entries.map((entry) => this.state(entry.key, now, entry.priorKeys)) };
      }
      throw new Error(`reserve: id "${id}" was already used`);
    }
    if (this.isFinished(id, now)) throw new Error(`reserve: id "${id}" was already used`);
    const counts: CounterState[] = [];
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!;
      const state = this.state(entry.key, now, entry.priorKeys);
      if (state.spent + state.reserved + entry.amount > entry.limit) {
        return { ok: false, index, key: entry.key, spent: state.spent, reserved: state.reserved, amount: entry.amount, limit: entry.limit };
      }
      counts.push(state);
    }
    const leaseExpiresAt = now + request.leaseMs;
    const keys: string[] = [];
    const amounts: number[] = [];
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!;
      const cell = this.cell(entry.key, now);
      cell.reserved += entry.amount;
      cell.holds.set(id, { amount: entry.amount, leaseExpiresAt });
      if (leaseExpiresAt < cell.nextLeaseExpiry) cell.nextLeaseExpiry = leaseExpiresAt;
      cell.expiresAt = Math.max(cell.expiresAt, now + entry.ttlMs);
      counts[index]!.reserved += entry.amount;
      keys.push(entry.key);
      amounts.push(entry.amount);
    }
    const reservation: Reservation = { id, keys, amounts, leaseExpiresAt };
    this.records.set(id, {
      reservation, ttls: entries.map((entry) => entry.ttlMs), reservedAt: now,
      forgetAt: leaseExpiresAt + this.lateSettleGraceMs,
    });
    return { ok: true, reservation, counts };
  }

  async settle(id: string, actual: number | readonly number[], now: number): Promise<SettleResult> {
    const record = this.records.get(id);
    if (!record || record.forgetAt <= now) return { status: this.isFinished(id, now) ? 'duplicate' : 'unknown', spent: [] };
    const amounts = actualAmounts(actual, record.reservation.keys.length);
    const spent = record.reservation.keys.map((key, index) => {
      const cell = this.dropHold(key, id, now, record.ttls[index]! - (now - record.reservedAt));
      cell.spent += amounts[index]!;
      return cell.spent;
    });
    this.finish(record, now);
    return { status: 'settled', spent };
  }

  async release(id: string, now: number): Promise<SettleStatus> {
    const record = this.records.get(id);
    if (!record || record.forgetAt <= now) return this.isFinished(id, now) ? 'duplicate' : 'unknown';
    record.reservation.keys.forEach((key, index) => this.dropHold(key, id, now, record.ttls[index]! - (now - record.reservedAt)));
    this.finish(record, now);
    return 'settled';
  }

  async extend(id: string, leaseMs: number, now: number): Promise<boolean> {
    const record = this.records.get(id);
    if (!record || record.reservation.leaseExpiresAt <= now) return false;
    const leaseExpiresAt = now + leaseMs;
    for (const key of record.reservation.keys) {
      const hold = this.cells.get(key)?.holds.get(id);
      if (hold) hold.leaseExpiresAt = leaseExpiresAt;
    }
    record.reservation = { ...record.reservation, leaseExpiresAt };
    record.forgetAt = leaseExpiresAt + this.lateSettleGraceMs;
    return true;
  }

  async hit(request: { entries: readonly HitEntry[]; now: number }): Promise<HitResult> {
    const { entries, now } = request;
    this.maybeGc(now);
    const windows = entries.map((entry) => {
      const index = Math.floor(now / entry.windowMs);
      const rate = this.rates.get(entry.key);
      if (!rate || rate.windowMs !== entry.windowMs || rate.index < index - 1) return { index, previous: 0, current: 0 };
      return rate.index === index ? { index, previous: rate.previous, current: rate.current } : { index, previous: rate.current, current: 0 };
    });
    const result = decideHits(entries, windows, now);
    if (result.allowed) {
      entries.forEach((entry, position) => {
        const { previous, current, index } = windows[position]!;
        this.rates.set(entry.key, { index, windowMs: entry.windowMs, previous, current: current + entry.amount });
      });
    }
    return result;
  }

  async get(key: string, now: number, priorKeys?: readonly string[]): Promise<CounterState> {
    return this.state(key, now, priorKeys);
  }

  async reset(key: string): Promise<void> {
    this.cells.delete(key);
  }

  async close(): Promise<void> {
    this.cells.clear();
    this.records.clear();
    this.finished.clear();
    this.rates.clear();
  }

  /** Number of tracked keys, reservations and rate windows (for leak tests). */
  size(): { cells: number; reservations: number; rates: number } {
    return { cells: this.cells.size, reservations: this.records.size + this.finished.size, rates: this.rates.size };
  }

  private state(key: string, now: number, priorKeys?: readonly string[]): CounterState {
    const state = { spent: 0, reserved: 0 };
    const add = (name: string) => {
      const cell = this.live(name, now);
      if (cell) { state.spent += cell.spent; state.reserved += cell.reserved; }
    };
    add(key);
    if (priorKeys) for (const prior of priorKeys) add(prior);
    return state;
  }

  /** The key's cell with expired holds swept, or undefined when absent or expired. */
  private live(key: string, now: number): Cell | undefined {
    const cell = this.cells.get(key);
    if (!cell) return undefined;
    if (cell.expiresAt <= now) {
      this.cells.delete(key);
      return undefined;
    }
    if (cell.nextLeaseExpiry <= now) {
      let next = Infinity;
      for (const [id, hold] of cell.holds) {
        if (hold.leaseExpiresAt <= now) {
          cell.reserved -= hold.amount;
          cell.holds.delete(id);
        } else if (hold.leaseExpiresAt < next) next = hold.leaseExpiresAt;
      }
      cell.nextLeaseExpiry = next;
    }
    return cell;
  }

  private cell(key: string, now: number): Cell {
    let cell = this.live(key, now);
    if (!cell) {
      cell = { spent: 0, reserved: 0, holds: new Map(), nextLeaseExpiry: Infinity, expiresAt: now };
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** Removes this reservation's hold from a key (if still live) and keeps the key alive for its window. */
  private dropHold(key: string, id: string, now: number, ttlLeftMs: number): Cell {
    const cell = this.cell(key, now);
    const hold = cell.holds.get(id);
    if (hold) {
      cell.reserved -= hold.amount;
      cell.holds.delete(id);
    }
    if (cell.expiresAt <= now) cell.expiresAt = now + Math.max(ttlLeftMs, 1000);
    return cell;
  }

  private finish(record: ReservationRecord, now: number): void {
    this.records.delete(record.reservation.id);
    this.finished.set(record.reservation.id, now + this.settledRetentionMs);
  }

  private isFinished(id: string, now: number): boolean {
    const forgetAt = this.finished.get(id);
    return forgetAt !== undefined && forgetAt > now;
  }

  private maybeGc(now: number): void {
    if (now < this.nextGcAt) return;
    this.nextGcAt = now + GC_INTERVAL_MS;
    for (const [key] of this.cells) this.live(key, now);
    for (const [id, record] of this.records) if (record.forgetAt <= now) this.records.delete(id);
    for (const [id, forgetAt] of this.finished) {
      if (forgetAt > now) break;
      this.finished.delete(id);
    }
    for (const [key, rate] of this.rates) if (rate.index < Math.floor(now / rate.windowMs) - 1) this.rates.delete(key);
  }
}

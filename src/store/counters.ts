/**
 * Shared counters for budgets, rate limits and loop caps. Amounts are non-negative safe integers
 * in the caller's unit (cost units of spend-plan.ts, tokens, calls). Time is always passed in
 * (`now`, epoch ms): leases and windows follow it, so tests drive them with an injected clock.
 *
 * A counter key holds `spent` (settled) and `reserved` (live holds). A hold counts only until its
 * lease expires; expired holds are swept lazily whenever the key is touched, so a crashed request
 * heals itself without a background job. Counter keys live `ttlMs` after their last write
 * (windows roll over by key, never by deleting).
 * Pass wall-clock time as `now` in production: Redis key TTLs run on Redis's own clock, so only
 * leases and windows (not key lifetimes) follow an injected clock.
 */

/** One counter a reservation must fit into. */
export interface CounterEntry {
  key: string;
  amount: number;
  /** Fits when spent + reserved + amount <= limit (spent and reserved summed over key and priorKeys). */
  limit: number;
  /** How long the key must live after this write. */
  ttlMs: number;
  /** Keys whose spend and holds also count against the limit (earlier buckets of a rolling window); read, never written. */
  priorKeys?: readonly string[];
}

/** An all-or-nothing hold on several counters. Reusing a live id returns the existing hold. */
export interface ReserveRequest {
  id: string;
  entries: readonly CounterEntry[];
  leaseMs: number;
  now: number;
}

/** A live hold, as returned by reserve. */
export interface Reservation {
  id: string;
  keys: readonly string[];
  amounts: readonly number[];
  leaseExpiresAt: number;
}

/** Counter state: settled spend and live holds. */
export interface CounterState {
  spent: number;
  reserved: number;
}

/** ok: held on every entry (`counts` per entry after the hold, summed with priorKeys); else the first entry that did not fit, nothing held. */
export type ReserveResult =
  | { ok: true; reservation: Reservation; counts: CounterState[] }
  | { ok: false; index: number; key: string; spent: number; reserved: number; amount: number; limit: number };

/** settled: applied now; duplicate: already settled or released; unknown: no such reservation (never made, or forgotten). */
export type SettleStatus = 'settled' | 'duplicate' | 'unknown';

/** `spent` per reservation key after the settle (empty unless status is settled). */
export interface SettleResult {
  status: SettleStatus;
  spent: number[];
}

/** One sliding-window rate counter: at most `limit` per `windowMs` (weighted two-window estimate). */
export interface HitEntry {
  key: string;
  amount: number;
  limit: number;
  windowMs: number;
}

/** Per-entry outcome of a hit. */
export interface HitOutcome {
  /** What is left in the window after this hit (after the refused one: before it). */
  remaining: number;
  /** Ms until the current fixed window ends. */
  resetMs: number;
  /** Ms until this amount would fit; 0 when allowed; null when the amount exceeds the limit outright. */
  retryAfterMs: number | null;
}

/** All-or-nothing: allowed means every entry was counted; otherwise none was, `failedIndex` names the first refusal. */
export interface HitResult {
  allowed: boolean;
  failedIndex: number;
  outcomes: HitOutcome[];
}

/** Options shared by the implementations. */
export interface CountersOptions {
  /** How long a held reservation is remembered after its lease, so a late settle still records spend. Default 10 min. */
  lateSettleGraceMs?: number;
  /**
   * How long a settled/released reservation is remembered so a repeat says `duplicate`. Default 10 s.
   * After that a repeat says `unknown`; either way nothing is counted twice.
   */
  settledRetentionMs?: number;
}

export const DEFAULT_LATE_SETTLE_GRACE_MS = 10 * 60 * 1000;
export const DEFAULT_SETTLED_RETENTION_MS = 10 * 1000;

/** Atomic counters shared by gateway processes. Implementations: memory (one process), redis (many). */
export interface Counters {
  readonly kind: string;
  /** Atomically: if every entry fits, hold `amount` on each until settled, released or the lease expires; else hold nothing. */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /**
   * Replaces the hold by the actual amount (one number for every key, or one per key; may exceed the
   * hold: recorded anyway), releasing the rest. Idempotent by id. After the lease expired the hold
   * is already gone, but the spend is still recorded while the reservation is remembered.
   */
  settle(id: string, actual: number | readonly number[], now: number): Promise<SettleResult>;
  /** Drops the hold without spending. Idempotent. */
  release(id: string, now: number): Promise<SettleStatus>;
  /** Moves a live lease to now + leaseMs (long streams); false when the lease already expired or the id is not held. */
  extend(id: string, leaseMs: number, now: number): Promise<boolean>;
  /** Sliding-window rate counters: atomically counts every entry if all fit. */
  hit(request: { entries: readonly HitEntry[]; now: number }): Promise<HitResult>;
  /** State of a key (summed with priorKeys), expired holds excluded. */
  get(key: string, now: number, priorKeys?: readonly string[]): Promise<CounterState>;
  /** Zeroes a key: spend and holds (a later settle of an old hold still records its spend). */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by counters that cannot reach their backing store (fail-closed); the gateway answers 503. */
export class CountersUnavailableError extends Error {
  readonly code = 'counters_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CountersUnavailableError';
  }
}

/** Throws unless the request is well formed (ids, safe non-negative integers, positive lease and ttl). */
export function assertValidReserve(request: ReserveRequest): void {
  if (!request.id) throw new Error('reserve: id is required');
  if (request.entries.length === 0) throw new Error('reserve: at least one entry is required');
  if (!(request.leaseMs > 0)) throw new Error('reserve: leaseMs must be > 0');
  for (let index = 0; index < request.entries.length; index++) {
    const entry = request.entries[index]!;
    // A hold is tracked per (key, reservation): the same key twice would leak one of the holds.
    for (let other = 0; other < index; other++) {
      if (request.entries[other]!.key === entry.key) throw new Error(`reserve: key "${entry.key}" appears twice`);
    }
    assertAmount('amount', entry.amount);
    assertAmount('limit', entry.limit);
    if (!(entry.ttlMs > 0)) throw new Error(`reserve: ttlMs of "${entry.key}" must be > 0`);
  }
}

/** Throws unless `value` is a non-negative safe integer. */
export function assertAmount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative safe integer (got ${value})`);
}

/** Per-key actual amounts from settle's `actual` argument. */
export function actualAmounts(actual: number | readonly number[], count: number): number[] {
  const amounts = typeof actual === 'number' ? new Array<number>(count).fill(actual) : [...actual];
  if (amounts.length !== count) throw new Error(`settle: expected ${count} actual amounts, got ${amounts.length}`);
  for (const amount of amounts) assertAmount('actual', amount);
  return amounts;
}

/**
 * Sliding-window estimate (previous window weighted by the part still inside the last `windowMs`
 * + current window): decides one entry and derives remaining/reset/retry-after. Shared by every
 * implementation so they agree to the millisecond. Integer maths: everything is scaled by windowMs.
 */
export function slidingWindowOutcome(entry: HitEntry, previous: number, current: number, now: number): { fits: boolean; outcome: HitOutcome } {
  const { amount, limit, windowMs } = entry;
  const elapsed = now % windowMs;
  const usedScaled = current * windowMs + previous * (windowMs - elapsed);
  const fits = usedScaled + amount * windowMs <= limit * windowMs;
  const left = limit * windowMs - usedScaled - (fits ? amount * windowMs : 0);
  const remaining = Math.max(0, Math.floor(left / windowMs));
  const resetMs = windowMs - elapsed;
  return { fits, outcome: { remaining, resetMs, retryAfterMs: fits ? 0 : retryAfter(entry, previous, current, elapsed) } };
}

/** Decides an all-or-nothing hit from each entry's (previous, current) window counts before the hit. */
export function decideHits(entries: readonly HitEntry[], windows: ReadonlyArray<{ previous: number; current: number }>, now: number): HitResult {
  const outcomes: HitOutcome[] = [];
  let failedIndex = -1;
  for (let position = 0; position < entries.length; position++) {
    const { fits, outcome } = slidingWindowOutcome(entries[position]!, windows[position]!.previous, windows[position]!.current, now);
    outcomes.push(outcome);
    if (!fits && failedIndex < 0) failedIndex = position;
  }
  if (failedIndex < 0) return { allowed: true, failedIndex, outcomes };
  // Nothing is counted on a refusal, so entries that fitted still have their amount left.
  for (let position = 0; position < entries.length; position++) {
    if (outcomes[position]!.retryAfterMs === 0) outcomes[position]!.remaining += entries[position]!.amount;
  }
  return { allowed: false, failedIndex, outcomes };
}

function retryAfter({ amount, limit, windowMs }: HitEntry, previous: number, current: number, elapsed: number): number | null {
  if (amount > limit) return null;
  // Still in this window: the previous window's weight decays until it leaves room.
  const room = limit - current - amount;
  if (room >= 0 && previous > 0) {
    const wait = Math.max(0, Math.ceil(windowMs - elapsed - (room * windowMs) / previous));
    if (wait < windowMs - elapsed) return Math.max(1, wait);
  }
  // Next window: this window's count becomes the decaying previous one.
  const intoNext = current > 0 ? Math.max(0, Math.ceil(windowMs - ((limit - amount) * windowMs) / current)) : 0;
  return Math.max(1, windowMs - elapsed + intoNext);
}

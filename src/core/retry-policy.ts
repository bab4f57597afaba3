/** Gateway retry settings (validated config). */
export interface RetrySettings {
  maxAttempts: number;
  retryOn: readonly number[];
  backoffMs: number;
  maxBackoffMs: number;
  /** Retries allowed per first attempt over the budget window (e.g. 0.2 = one retry per five calls). */
  budgetRatio: number;
  fallbacks: Readonly<Record<string, readonly string[]>>;
}

/**
 * A retry budget (as in Finagle/gRPC): retries may add at most `ratio` of the first attempts seen in the
 * last `windowMs`, plus a small floor, so an upstream outage does not turn into a retry storm.
 */
export class RetryBudget {
  // Counts per slot of `windowMs / SLOTS`: O(1) per call and constant memory at any request rate.
  private static readonly SLOTS = 10;
  private readonly slotMs: number;
  private readonly firsts = new Array<number>(RetryBudget.SLOTS).fill(0);
  private readonly retries = new Array<number>(RetryBudget.SLOTS).fill(0);
  private currentSlot = 0;

  constructor(private readonly ratio: number, windowMs = 10_000, private readonly floor = 5) {
    this.slotMs = Math.max(1, Math.floor(windowMs / RetryBudget.SLOTS));
  }

  /** Counts a first attempt. */
  recordFirst(now: number): void {
    this.firsts[this.advance(now)]!++;
  }

  /** Takes one retry from the budget when there is room. */
  tryRetry(now: number): boolean {
    const slot = this.advance(now);
    const firsts = this.firsts.reduce((a, b) => a + b, 0);
    const retries = this.retries.reduce((a, b) => a + b, 0);
    if (retries >= this.floor + firsts * this.ratio) return false;
    this.retries[slot]!++;
    return true;
  }

  /** Moves to the slot of `now`, zeroing the slots that fell out of the window; returns its index. */
  private advance(now: number): number {
    const slot = Math.floor(now / this.slotMs);
    const steps = Math.min(RetryBudget.SLOTS, Math.max(0, slot - this.currentSlot));
    for (let i = 1; i <= steps; i++) {
      const index = (this.currentSlot + i) % RetryBudget.SLOTS;
      this.firsts[index] = 0;
      this.retries[index] = 0;
    }
    if (slot > this.currentSlot) this.currentSlot = slot;
    return this.currentSlot % RetryBudget.SLOTS;
  }
}

/**
 * The delay before retry `retryNumber` (1-based): the provider's retry-after when it is within the cap,
 * else exponential backoff with full jitter (`random` in [0,1)).
 */
export function retryDelayMs(settings: RetrySettings, retryNumber: number, retryAfterMs: number | null, random: number): number {
  if (retryAfterMs !== null && retryAfterMs >= 0 && retryAfterMs <= settings.maxBackoffMs) return retryAfterMs;
  const ceiling = Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** (retryNumber - 1));
  return Math.round(ceiling * (0.5 + random / 2));
}

/** Reads `retry-after-ms` or `retry-after` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>, now: number): number | null {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers['retry-after'];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (!text) return null;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/** The models to try in order: the requested one, then its configured fallbacks. */
export function modelSequence(settings: RetrySettings, model: string | null): string[] {
  if (!model) return [];
  return [model, ...(settings.fallbacks[model] ?? [])];
}

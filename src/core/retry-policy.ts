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
  private firsts: number[] = [];
  private retries: number[] = [];

  constructor(private readonly ratio: number, private readonly windowMs = 10_000, private readonly floor = 5) {}

  /** Counts a first attempt. */
  recordFirst(now: number): void {
    this.firsts.push(now);
    this.trim(now);
  }

  /** Takes one retry from the budget when there is room. */
  tryRetry(now: number): boolean {
    this.trim(now);
    if (this.retries.length >= this.floor + this.firsts.length * this.ratio) return false;
    this.retries.push(now);
    return true;
  }

  private trim(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.firsts.length > 0 && this.firsts[0]! < cutoff) this.firsts.shift();
    while (this.retries.length > 0 && this.retries[0]! < cutoff) this.retries.shift();
    // Bound memory under very high rates: the ratio only needs a recent sample.
    if (this.firsts.length > 100_000) this.firsts = this.firsts.slice(-50_000);
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

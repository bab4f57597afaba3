import { createHash } from 'node:crypto';

interface Pending {
  firstId: string;
  at: number;
}

/**
 * Links an SDK's retry to the attempt it repeats. The SDKs send no id common to their attempts, only
 * `x-stainless-retry-count`; but a retry re-sends the same method, URL and body, so a failed attempt is
 * remembered under a hash of those and the next attempt with a retry count > 0 takes it. Identical
 * requests failing together are matched first-in, first-out. Only failures and retries pay for hashing.
 */
export class RetryLinker {
  private readonly pending = new Map<string, Pending[]>();
  private size = 0;

  constructor(private readonly ttlMs = 10 * 60_000, private readonly maxEntries = 10_000) {}

  /** The key of a request (method, URL and body as sent by the SDK). */
  static key(method: string, url: string, body: string | null): string {
    return createHash('sha256').update(method).update('\n').update(url).update('\n').update(body ?? '').digest('base64');
  }

  /** A failed attempt that may be retried; `firstId` is the first attempt of its chain. */
  remember(key: string, firstId: string, now: number): void {
    this.sweep(now);
    const list = this.pending.get(key);
    if (list) list.push({ firstId, at: now });
    else this.pending.set(key, [{ firstId, at: now }]);
    this.size += 1;
  }

  /** The first attempt's id for a retry of `key`, or null when no failed attempt is remembered. */
  take(key: string, now: number): string | null {
    const list = this.pending.get(key);
    if (!list) return null;
    let found: Pending | undefined;
    while ((found = list.shift()) !== undefined) {
      this.size -= 1;
      if (now - found.at <= this.ttlMs) break;
    }
    if (list.length === 0) this.pending.delete(key);
    return found?.firstId ?? null;
  }

  /** Drops expired entries, and the oldest keys past the bound (a retry that never came). */
  private sweep(now: number): void {
    for (const [key, list] of this.pending) {
      if (this.size < this.maxEntries && now - list[0]!.at <= this.ttlMs) break;
      this.pending.delete(key);
      this.size -= list.length;
    }
  }
}

import type { IncomingHttpHeaders } from 'node:http';
import type { KeyStore, VirtualKeyRecord } from '../store/key-store.js';
import { GatewayError, type ApiFamily } from './error-catalog.js';
import { KeyCache, VIRTUAL_KEY_PREFIX } from './virtual-keys.js';

/** open: provider keys pass through; keys: a virtual key is required; auto: keys once any key exists. */
export type AuthMode = 'auto' | 'open' | 'keys';

/**
 * Decides whether a call needs a virtual key and resolves it. In `auto` mode the answer follows the
 * store (re-checked every `refreshMs`), so `tokenmeter keys create` switches a running gateway to keys.
 */
export class AuthGate {
  private readonly cache: KeyCache;
  private required: boolean;
  private refreshTimer: NodeJS.Timeout | null = null;
  private refreshing = false;

  constructor(private readonly mode: AuthMode, private readonly store: KeyStore, private readonly refreshMs: number) {
    this.cache = new KeyCache(store, refreshMs);
    this.required = mode === 'keys';
  }

  /**
   * Auto mode: reads the store at start-up, then every `refreshMs` on a timer (with `refreshMs` 0, on every call).
   * The timer keeps the store query off the request path: no request waits for it, and the optimized request code
   * never meets a branch it has not run (checked on a call every 5 s, it deoptimized `admit` in the benchmark).
   */
  async init(): Promise<void> {
    if (this.mode !== 'auto') return;
    this.required = await this.store.hasActiveKeys();
    if (this.refreshMs > 0 && !this.refreshTimer) {
      this.refreshTimer = setInterval(() => void this.refresh(), this.refreshMs);
      this.refreshTimer.unref();
    }
  }

  /** Stops the auto-mode refresh. */
  close(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  /** A store that cannot answer (a database restarting) leaves the last answer in force until the next refresh. */
  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      this.required = await this.store.hasActiveKeys();
    } catch {
      // kept: see above
    } finally {
      this.refreshing = false;
    }
  }

  /** Whether calls currently need a virtual key. */
  get keysRequired(): boolean {
    return this.required;
  }

  /** The caller's virtual key record, or null in open mode; throws invalid_key (401) otherwise. */
  async authenticate(headers: IncomingHttpHeaders, family: ApiFamily, now: number): Promise<VirtualKeyRecord | null> {
    if (this.mode === 'auto' && this.refreshMs === 0) this.required = await this.store.hasActiveKeys();
    const presented = presentedKey(headers);
    if (!this.required) {
      // Open mode still honours a virtual key when one is presented (attribution and key budgets).
      if (!presented?.startsWith(VIRTUAL_KEY_PREFIX)) return null;
    }
    if (!presented) {
      throw new GatewayError('invalid_key', `this gateway requires a tokenmeter virtual key; pass it as ${family === 'anthropic' ? 'x-api-key' : 'Authorization: Bearer <key>'} (create one with: tokenmeter keys create --tenant NAME)`);
    }
    const record = presented.startsWith(VIRTUAL_KEY_PREFIX) ? await this.cache.lookup(presented, now) : null;
    if (!record) throw new GatewayError('invalid_key', 'unknown API key: this gateway accepts tokenmeter virtual keys (tm_...); check the key or create one with tokenmeter keys create');
    if (record.revokedAt !== null) throw new GatewayError('invalid_key', `the key ${record.prefix}... was revoked; ask an admin for a new key`);
    return record;
  }

  /** Drops a key from this replica's cache at once (after a revoke here). */
  forget(hash: string): void {
    this.cache.forget(hash);
  }
}

function presentedKey(headers: IncomingHttpHeaders): string | null {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim() || null;
  return null;
}

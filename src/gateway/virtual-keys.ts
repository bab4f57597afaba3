import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { KeyStore, VirtualKeyRecord } from '../store/key-store.js';

/** Every tokenmeter virtual key starts with this, so logs scanners and users can tell it from a provider key. */
export const VIRTUAL_KEY_PREFIX = 'tm_';

/** SHA-256 hex of a key: keys are 192 random bits, so a fast hash is enough (no password stretching needed). */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Options of a new key. */
export interface NewKeyOptions {
  name?: string | null;
  tenant?: string | null;
  team?: string | null;
  user?: string | null;
  budgetPico?: number | null;
  budgetPeriod?: 'day' | 'week' | 'month' | null;
  rpm?: number | null;
}

/** Creates and stores a key; returns the key itself (shown once, never stored) and its record. */
export async function createVirtualKey(store: KeyStore, options: NewKeyOptions, now = Date.now()): Promise<{ key: string; record: VirtualKeyRecord }> {
  const key = VIRTUAL_KEY_PREFIX + randomBytes(24).toString('base64url');
  const record: VirtualKeyRecord = {
    id: randomUUID(),
    hash: hashKey(key),
    prefix: key.slice(0, 11),
    name: options.name ?? null,
    tenant: options.tenant ?? null,
    team: options.team ?? null,
    user: options.user ?? null,
    budgetPico: options.budgetPico ?? null,
    budgetPeriod: options.budgetPeriod ?? null,
    rpm: options.rpm ?? null,
    createdAt: now,
    revokedAt: null,
  };
  await store.create(record);
  return { key, record };
}

/** A key record without its hash, for listings and API answers. */
export function publicKeyView(record: VirtualKeyRecord): Omit<VirtualKeyRecord, 'hash'> {
  const { hash: _hash, ...rest } = record;
  return rest;
}

/**
 * Looks keys up by hash with a short-lived cache, so the hot path does no I/O for a known key;
 * a revocation reaches other replicas within `ttlMs` (at once on the replica that revoked).
 */
export class KeyCache {
  private readonly entries = new Map<string, { record: VirtualKeyRecord | null; expires: number }>();

  constructor(private readonly store: KeyStore, private readonly ttlMs: number) {}

  /** The key's record, or null when unknown. Revoked keys are returned (callers check revokedAt). */
  async lookup(key: string, now: number): Promise<VirtualKeyRecord | null> {
    const hash = hashKey(key);
    const cached = this.entries.get(hash);
    if (cached && cached.expires > now) return cached.record;
    const record = await this.store.findByHash(hash);
    if (this.entries.size > 100_000) this.entries.clear(); // unknown keys from a scanner must not grow memory
    this.entries.set(hash, { record, expires: now + this.ttlMs });
    return record;
  }

  /** Forgets a key at once (after a local revoke). */
  forget(hash: string): void {
    this.entries.delete(hash);
  }
}

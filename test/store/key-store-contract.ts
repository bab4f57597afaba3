import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyStore, VirtualKeyRecord } from '../../src/store/key-store.js';

let sequence = 0;

/** A key record with unique id/hash and a creation time that orders by sequence. */
function record(overrides: Partial<VirtualKeyRecord> = {}): VirtualKeyRecord {
  sequence += 1;
  return {
    id: `key-${sequence}`, hash: `hash-${sequence}`.padEnd(64, '0'), prefix: `tm_${sequence}`, name: null, tenant: 'acme',
    team: null, user: null, budgetPico: null, budgetPeriod: null, rpm: null, createdAt: 1_700_000_000_000 + sequence, revokedAt: null,
    ...overrides,
  };
}

/** Runs the KeyStore contract against one engine; `open` must return a fresh, empty store each call. */
export function runKeyStoreContract(name: string, open: () => Promise<{ store: KeyStore; close: () => Promise<void> }>): void {
  const withStore = (title: string, body: (store: KeyStore) => Promise<void>): void => {
    test(title, async () => {
      const { store, close } = await open();
      try { await body(store); } finally { await close(); }
    });
  };

  describe(`KeyStore contract: ${name}`, () => {
    withStore('an empty store has no keys and no active keys', async (store) => {
      assert.deepEqual(await store.list(), []);
      assert.equal(await store.hasActiveKeys(), false);
      assert.equal(await store.findByHash('nope'), null);
      assert.equal(await store.revoke({ id: 'nope' }, 1), null);
      assert.equal(await store.updateLimits('nope', { rpm: 5 }), null);
    });

    withStore('round-trips every field; finds by hash; lists in creation order', async (store) => {
      const bare = record({ tenant: null });
      const full = record({ name: 'ci bot', tenant: 'globex', team: 'core', user: 'u-1', budgetPico: 50_000_000_000_000, budgetPeriod: 'month', rpm: 120 });
      await store.create(full);
      await store.create(bare);
      assert.deepEqual(await store.findByHash(full.hash), full);
      assert.deepEqual(await store.findByHash(bare.hash), bare);
      assert.deepEqual(await store.list(), [bare, full]);
      assert.equal(await store.hasActiveKeys(), true);
    });

    withStore('a second key with the same hash is refused', async (store) => {
      const first = record();
      await store.create(first);
      await assert.rejects(store.create(record({ hash: first.hash })));
      assert.equal((await store.list()).length, 1);
    });

    withStore('revoke by id or hash keeps the first revocation time; revoked keys are not active', async (store) => {
      const a = record();
      const b = record();
      await store.create(a);
      await store.create(b);
      assert.equal((await store.revoke({ id: a.id }, 1000))?.revokedAt, 1000);
      assert.equal((await store.revoke({ id: a.id }, 2000))?.revokedAt, 1000, 'revocation time is kept');
      assert.equal(await store.hasActiveKeys(), true);
      assert.equal((await store.revoke({ hash: b.hash }, 3000))?.id, b.id);
      assert.equal(await store.hasActiveKeys(), false);
      assert.equal((await store.findByHash(a.hash))?.revokedAt, 1000);
    });

    withStore('updateLimits changes only the given limits (null clears)', async (store) => {
      const key = record({ budgetPico: 10, budgetPeriod: 'day', rpm: 60 });
      await store.create(key);
      assert.deepEqual(await store.updateLimits(key.id, { rpm: 30 }), { ...key, rpm: 30 });
      assert.deepEqual(await store.updateLimits(key.id, { budgetPico: 99, budgetPeriod: 'week' }), { ...key, rpm: 30, budgetPico: 99, budgetPeriod: 'week' });
      assert.deepEqual(await store.updateLimits(key.id, { budgetPico: null, budgetPeriod: null, rpm: null }),
        { ...key, budgetPico: null, budgetPeriod: null, rpm: null });
      assert.deepEqual(await store.updateLimits(key.id, {}), { ...key, budgetPico: null, budgetPeriod: null, rpm: null });
      assert.deepEqual(await store.findByHash(key.hash), { ...key, budgetPico: null, budgetPeriod: null, rpm: null });
    });
  });
}

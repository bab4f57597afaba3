import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryKeyStore } from '../store/memory/memory-key-store.js';
import { AuthGate } from './auth-gate.js';
import { createVirtualKey } from './virtual-keys.js';

const openAiHeaders = (key: string) => ({ authorization: `Bearer ${key}` });

/** A store that counts its hasActiveKeys queries and can be made to fail. */
class CountingStore extends MemoryKeyStore {
  queries = 0;
  failing = false;
  override async hasActiveKeys(): Promise<boolean> {
    this.queries++;
    if (this.failing) throw new Error('database restarting');
    return super.hasActiveKeys();
  }
}

test('auto mode: a key created while the gateway runs turns keys on at the next timed refresh, with no query on the request path', async () => {
  const store = new CountingStore();
  const auth = new AuthGate('auto', store, 40);
  await auth.init();
  try {
    assert.equal(auth.keysRequired, false);
    assert.equal(await auth.authenticate(openAiHeaders('sk-provider'), 'openai', Date.now()), null, 'open: provider keys pass');
    const { key } = await createVirtualKey(store, { tenant: 'acme' });
    const queries = store.queries;
    for (let i = 0; i < 50; i++) await auth.authenticate(openAiHeaders('sk-provider'), 'openai', Date.now());
    assert.ok(store.queries - queries <= 1, 'calls do not query the store (at most one timer tick fell in between)');
    await sleep(120);
    assert.equal(auth.keysRequired, true);
    await assert.rejects(auth.authenticate(openAiHeaders('sk-provider'), 'openai', Date.now()), (error: any) => error.code === 'invalid_key');
    assert.equal((await auth.authenticate(openAiHeaders(key), 'openai', Date.now()))?.tenant, 'acme');
    // A store that cannot answer leaves the last answer in force.
    store.failing = true;
    await sleep(120);
    assert.equal(auth.keysRequired, true);
  } finally {
    auth.close();
  }
  const stopped = store.queries;
  await sleep(120);
  assert.equal(store.queries, stopped, 'close() stops the refresh');
});

test('auto mode with refreshMs 0: every call reads the store, so a new key applies to the very next call', async () => {
  const store = new CountingStore();
  const auth = new AuthGate('auto', store, 0);
  await auth.init();
  try {
    assert.equal(await auth.authenticate(openAiHeaders('sk-provider'), 'openai', Date.now()), null);
    await createVirtualKey(store, { tenant: 'acme' });
    await assert.rejects(auth.authenticate(openAiHeaders('sk-provider'), 'openai', Date.now()), (error: any) => error.code === 'invalid_key');
  } finally {
    auth.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startSimulator } from '../../src/simulator/index.js';
import { RedisCounters } from '../../src/store/redis/redis-counters.js';
import { budgetCounterKeys } from '../../src/core/spend-plan.js';
import { spawnGateway } from '../support/gateway-process.js';

const REDIS_URL = process.env.TOKENMETER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

test('a gateway killed mid-call leaves a hold that heals when its lease ends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-lease-'));
  const prefix = `tm-test:${randomUUID()}:`;
  const config = join(dir, 'tokenmeter.yaml');
  writeFileSync(config, `counters:\n  prefix: "${prefix}"\n  leaseMs: 700\nbudgets:\n  - { id: b, scope: { kind: global }, limitUsd: "1" }\n`);
  const sim = await startSimulator({ port: 0 });
  const counters = new RedisCounters({ url: REDIS_URL, prefix });
  await counters.ready(5000);
  const policy = { id: 'b', scope: { kind: 'global' as const }, limitPico: 10 ** 12, window: { kind: 'calendar' as const, period: 'month' as const, timeZone: 'UTC' }, mode: 'hard' as const, alertThresholds: [], onExceed: 'reject' as const };
  const key = budgetCounterKeys(policy, '*', Date.now()).key;
  const gateway = await spawnGateway(['--config', config, '--db', join(dir, 'a.db'), '--openai-url', `${sim.url}/v1`, '--anthropic-url', sim.url, '--redis-url', REDIS_URL]);
  try {
    const pending = fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-simulator-latency-ms': '5000' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'slow' }] }),
    }).catch(() => null);
    let held = 0;
    for (let i = 0; i < 100 && held === 0; i++) {
      held = (await counters.get(key, Date.now())).reserved;
      if (held === 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(held > 0, 'the call holds its worst case while in flight');
    gateway.child.kill('SIGKILL');
    await pending;
    assert.ok((await counters.get(key, Date.now())).reserved > 0, 'the dead gateway never released it');
    await new Promise((r) => setTimeout(r, 900));
    const state = await counters.get(key, Date.now());
    assert.equal(state.reserved, 0, 'the lease expired: no phantom spend');
    assert.equal(state.spent, 0);
  } finally {
    gateway.child.kill('SIGKILL');
    await counters.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

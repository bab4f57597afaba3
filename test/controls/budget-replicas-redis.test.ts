import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startSimulator } from '../../src/simulator/index.js';
import { openLedger } from '../../src/store/open-ledger.js';
import { usdToPico } from '../../src/core/money.js';
import { spawnGateway } from '../support/gateway-process.js';

const REDIS_URL = process.env.TOKENMETER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BUDGET_USD = '0.002';

test('500 concurrent calls through two gateway processes sharing Redis never overrun one budget', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-replicas-'));
  const prefix = `tm-test:${randomUUID()}:`;
  const config = join(dir, 'tokenmeter.yaml');
  writeFileSync(config, `counters:\n  prefix: "${prefix}"\nbudgets:\n  - { id: shared, scope: { kind: global }, limitUsd: "${BUDGET_USD}", window: { period: day } }\n`);
  const sim = await startSimulator({ port: 0, ttftMs: 5 });
  const redis = new Redis(REDIS_URL);
  const dbs = [join(dir, 'a.db'), join(dir, 'b.db')];
  const gateways = await Promise.all(
    dbs.map((db) => spawnGateway(['--config', config, '--db', db, '--openai-url', `${sim.url}/v1`, '--anthropic-url', sim.url, '--redis-url', REDIS_URL])),
  );
  try {
    const outcomes = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const response = await fetch(`${gateways[i % 2]!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
          body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 30, messages: [{ role: 'user', content: `question ${i}` }] }),
        });
        const body = (await response.json()) as any;
        return { status: response.status, code: body?.error?.code ?? null };
      }),
    );
    const ok = outcomes.filter((o) => o.status === 200).length;
    const refused = outcomes.filter((o) => o.status !== 200);
    assert.ok(ok > 10, `${ok} calls fit the budget`);
    assert.ok(refused.length > 100, `${refused.length} calls were refused`);
    for (const r of refused) assert.deepEqual(r, { status: 429, code: 'budget_exceeded' });
    for (const gateway of gateways) assert.equal(await gateway.stop(), 0);
    let spent = 0n;
    let events = 0;
    for (const db of dbs) {
      const ledger = await openLedger({ db });
      for await (const event of ledger.events({ since: 0, until: Date.now() + 1000 })) {
        spent += BigInt(event.cost!.total);
        events++;
      }
      await ledger.close();
    }
    t.diagnostic(`${ok} admitted, ${refused.length} refused; spent ${spent} of ${usdToPico(BUDGET_USD)} pico`);
    assert.equal(events, ok, 'every admitted call is in one of the ledgers');
    assert.ok(spent <= BigInt(usdToPico(BUDGET_USD)), `recorded spend ${spent} pico <= budget ${usdToPico(BUDGET_USD)} pico (zero overrun)`);
    // No hold survives at rest: every reservation was settled or released.
    const holdKeys = await redis.keys(`${prefix}*`);
    assert.ok(holdKeys.length > 0, 'counters live in Redis under the configured prefix');
    const { RedisCounters } = await import('../../src/store/redis/redis-counters.js');
    const { budgetCounterKeys } = await import('../../src/core/spend-plan.js');
    const counters = new RedisCounters({ url: REDIS_URL, prefix });
    await counters.ready(5000);
    const { key } = budgetCounterKeys({ id: 'shared', scope: { kind: 'global' }, limitPico: usdToPico(BUDGET_USD), window: { kind: 'calendar', period: 'day', timeZone: 'UTC' }, mode: 'hard', alertThresholds: [], onExceed: 'reject' }, '*', Date.now());
    const state = await counters.get(key, Date.now());
    await counters.close();
    assert.equal(state.reserved, 0, 'reserved is 0 at rest');
    assert.ok(state.spent > 0);
  } finally {
    for (const gateway of gateways) gateway.child.kill('SIGKILL');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

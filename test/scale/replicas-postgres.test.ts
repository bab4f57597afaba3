import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startSimulator } from '../../src/simulator/index.js';
import { PostgresLedger } from '../../src/store/postgres/postgres-ledger.js';
import { spawnGateway } from '../support/gateway-process.js';
import { dropTestSchemas, TEST_DATABASE_URL, uniqueSchema, urlWithSchema } from '../store/postgres-test-db.js';
import { runConcurrently, sdkClient, taggedCall, type CallOutcome } from './scale-helpers.js';

const REDIS_URL = process.env.TOKENMETER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const all = { since: 0, until: Number.MAX_SAFE_INTEGER };
after(dropTestSchemas);

/** Ledger rows per task id (each call carries its own task id). */
async function rowsPerTask(ledger: PostgresLedger): Promise<Map<string, number>> {
  const { rows } = await ledger.pool.query<{ task: string; n: number }>('SELECT task, COUNT(*)::int8 AS n FROM usage_events GROUP BY task');
  return new Map(rows.map((r) => [r.task, r.n]));
}

test('two gateway processes on Postgres + Redis: every call exactly once, rollups exact; kill -9 of one loses at most its flush window', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-scale-'));
  const schema = uniqueSchema('tm_scale');
  const prefix = `tm-test:${randomUUID()}:`;
  const config = join(dir, 'tokenmeter.yaml');
  // A generous shared budget: the spend path (Redis reserve/settle) runs on every call without refusing any.
  writeFileSync(config, `counters:\n  prefix: "${prefix}"\nledger:\n  flushIntervalMs: 50\nbudgets:\n  - { id: shared, scope: { kind: global }, limitUsd: "1000", window: { period: day } }\n`);
  const sim = await startSimulator({ port: 0, ttftMs: 3, outputTokens: 20 });
  const url = urlWithSchema(schema);
  const args = ['--config', config, '--database-url', url, '--redis-url', REDIS_URL, '--openai-url', `${sim.url}/v1`, '--anthropic-url', sim.url];
  const [a, b] = await Promise.all([spawnGateway(args), spawnGateway(args)]);
  const redis = new Redis(REDIS_URL);
  try {
    const clients = [sdkClient(a!.url), sdkClient(b!.url)];
    // Phase 1: concurrent load on both replicas.
    const phase1 = await runConcurrently(300, 32, (i) => taggedCall(clients[i % 2]!, i % 2, `p1-${i}`));
    assert.equal(phase1.filter((o) => !o.ok).length, 0, 'every call succeeds');

    // Phase 2: load continues; replica B is killed -9 in the middle of it.
    let killedAt = 0;
    const phase2 = runConcurrently(400, 32, async (i) => {
      if (i === 200) {
        b!.child.kill('SIGKILL');
        killedAt = Date.now();
      }
      return taggedCall(clients[i % 2]!, i % 2, `p2-${i}`);
    });
    const outcomes: CallOutcome[] = [...phase1, ...(await phase2)];
    await b!.stop();
    // Phase 3: the surviving replica keeps serving.
    const phase3 = await runConcurrently(60, 16, (i) => taggedCall(clients[0]!, 0, `p3-${i}`));
    assert.equal(phase3.filter((o) => !o.ok).length, 0, 'replica A serves after B died');
    outcomes.push(...phase3);
    assert.equal(await a!.stop(), 0, 'A drains and flushes on SIGTERM');

    const ledger = await PostgresLedger.open(TEST_DATABASE_URL, { schema });
    try {
      const stored = await rowsPerTask(ledger);
      for (const [task, n] of stored) assert.equal(n, 1, `${task} stored once`);
      const succeeded = outcomes.filter((o) => o.ok);
      const missingA = succeeded.filter((o) => o.replica === 0 && !stored.has(o.id));
      assert.deepEqual(missingA, [], 'every call answered by the surviving replica is in the ledger');
      const okB = succeeded.filter((o) => o.replica === 1);
      const lostB = okB.filter((o) => !stored.has(o.id));
      // Answered by B shortly before the kill signal, or after it while the process was dying: the only events it may lose.
      const window = okB.filter((o) => o.doneAt >= killedAt - 500);
      const ages = lostB.map((o) => killedAt - o.doneAt);
      t.diagnostic(`B answered ${okB.length} calls; ${lostB.length} lost to kill -9` +
        (lostB.length ? `, answered between ${Math.max(...ages)} ms before and ${-Math.min(...ages)} ms after the signal` : '') +
        ` (${window.length} answered from 500 ms before it on); ${outcomes.filter((o) => !o.ok).length} calls to B failed after the kill`);
      assert.ok(lostB.length <= window.length, `lost ${lostB.length} <= answered around the kill ${window.length}`);
      assert.ok(lostB.every((o) => o.doneAt >= killedAt - 500), 'only events of the last flush windows are lost');
      assert.equal(stored.size, succeeded.length - lostB.length);
      const check = await ledger.checkRollups(all);
      assert.deepEqual(check.mismatches, [], 'rollups equal raw sums (a killed transaction leaves nothing half-written)');
      assert.equal(check.events, stored.size);
      const byFeature = await ledger.report({ since: 0, until: Date.now() + 60_000, by: 'feature' });
      assert.equal(byFeature.reduce((s, r) => s + r.requests, 0), stored.size);
    } finally {
      await ledger.close();
    }
  } finally {
    a!.child.kill('SIGKILL');
    b!.child.kill('SIGKILL');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

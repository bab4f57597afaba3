import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../src/simulator/index.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { spawnGateway } from '../support/gateway-process.js';
import { runConcurrently, sdkClient, taggedCall } from './scale-helpers.js';

test('start --workers 3 on one SQLite file: workers share the port, each call stored once, SIGTERM flushes every worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-workers-'));
  const db = join(dir, 'ledger.db');
  const sim = await startSimulator({ port: 0, ttftMs: 2, outputTokens: 15 });
  const gateway = await spawnGateway(['--workers', '3', '--db', db, '--openai-url', `${sim.url}/v1`, '--anthropic-url', sim.url]);
  let stderr = '';
  gateway.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    assert.match(gateway.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = sdkClient(gateway.url);
    const outcomes = await runConcurrently(300, 24, (i) => taggedCall(client, 0, `w-${i}`));
    assert.equal(outcomes.filter((o) => !o.ok).length, 0);
    assert.equal(await gateway.stop(), 0, 'the primary exits 0 once every worker flushed');
    const written = [...stderr.matchAll(/stopped; (\d+) events written, 0 dropped/g)].map((m) => Number(m[1]));
    assert.equal(written.length, 3, 'three workers drained');
    assert.equal(written.reduce((a, b) => a + b, 0), 300);
    assert.ok(written.every((n) => n > 0), `every worker served calls: ${written.join(', ')}`);
    const ledger = SqliteLedger.open(db);
    try {
      const tasks = ledger.db.prepare('SELECT task, COUNT(*) AS n FROM usage_events GROUP BY task').all() as Array<{ task: string; n: number }>;
      assert.equal(tasks.length, 300);
      assert.ok(tasks.every((row) => row.n === 1));
      const check = await ledger.checkRollups({ since: 0, until: Number.MAX_SAFE_INTEGER });
      assert.deepEqual(check.mismatches, []);
      assert.equal(check.events, 300);
    } finally {
      await ledger.close();
    }
  } finally {
    gateway.child.kill('SIGKILL');
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

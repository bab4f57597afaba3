import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('warm-up in a --workers process: its loopback servers are its own, never shared with another worker\'s listen(0)', async () => {
  const { stdout } = await run(process.execPath, ['dist/test/support/warm-up-in-cluster.js'], {
    timeout: 60_000, env: { ...process.env, TOKENMETER_LOG: 'silent' },
  });
  const report = JSON.parse(stdout.trim()) as { served: number; warmUp: { requests: number; ok: number; connections: number } };
  // Shared, worker 2's provider stand-in would take turns with worker 1's server: warm-up calls answered 500 there.
  assert.equal(report.served, 0, 'no warm-up call reached the other worker\'s server');
  assert.equal(report.warmUp.connections, 8);
  assert.equal(report.warmUp.requests, 192);
  assert.equal(report.warmUp.ok, 192);
});

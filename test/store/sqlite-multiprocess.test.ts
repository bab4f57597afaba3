import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { rollupDataset } from './rollup-contract.js';

test('sqlite: four processes appending to one file at once (WAL + busy_timeout) store every event once, rollups exact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-multiproc-'));
  const file = join(dir, 'shared.db');
  try {
    SqliteLedger.open(file).close(); // migrate first, as `start --workers` does in the primary
    const processes = 4;
    const codes = await Promise.all(Array.from({ length: processes }, (_, start) => new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['dist/test/store/sqlite-writer-child.js', file, String(start), String(processes)], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('exit', resolve);
    })));
    assert.deepEqual(codes, [0, 0, 0, 0]);
    const ledger = SqliteLedger.open(file);
    try {
      const { unique } = rollupDataset(4000, 77);
      const all = { since: 0, until: Number.MAX_SAFE_INTEGER };
      assert.equal(await ledger.count(all), unique);
      const check = await ledger.checkRollups(all);
      assert.deepEqual(check.mismatches, []);
      assert.equal(check.events, unique);
    } finally {
      await ledger.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SQLITE_PATH, openLedger, resolveLedgerTarget, UnsupportedDatabaseError } from '../../src/store/open-ledger.js';
import { makeEvent } from '../support/make-event.js';

test('resolveLedgerTarget: --database-url, then --db, then TOKENMETER_DB, then the default path', () => {
  const env = { TOKENMETER_DB: '/env/ledger.db' };
  assert.deepEqual(resolveLedgerTarget({ databaseUrl: 'postgres://u@h/db', db: 'x.db', env }), { engine: 'postgres', url: 'postgres://u@h/db' });
  assert.deepEqual(resolveLedgerTarget({ databaseUrl: 'postgresql://h/db', env }), { engine: 'postgres', url: 'postgresql://h/db' });
  assert.deepEqual(resolveLedgerTarget({ databaseUrl: 'sqlite:/tmp/a.db', env }), { engine: 'sqlite', path: '/tmp/a.db' });
  assert.deepEqual(resolveLedgerTarget({ db: 'x.db', env }), { engine: 'sqlite', path: 'x.db' });
  assert.deepEqual(resolveLedgerTarget({ env }), { engine: 'sqlite', path: '/env/ledger.db' });
  assert.deepEqual(resolveLedgerTarget({ env: {} }), { engine: 'sqlite', path: DEFAULT_SQLITE_PATH });
  assert.throws(() => resolveLedgerTarget({ databaseUrl: 'mysql://h/db' }), /unsupported database URL scheme "mysql"/);
});

test('openLedger: postgres is refused as not yet supported', async () => {
  await assert.rejects(openLedger({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/test' }), (error: unknown) =>
    error instanceof UnsupportedDatabaseError && /not yet supported/.test(error.message));
});

test('openLedger: opens SQLite at --db or TOKENMETER_DB, creating the folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-open-'));
  try {
    const file = join(dir, 'nested', 'deeper', 'ledger.db');
    const ledger = await openLedger({ db: file });
    assert.equal(ledger.kind, 'sqlite');
    assert.ok(existsSync(file));
    await ledger.append([makeEvent()]);
    await ledger.close();
    const fromEnv = await openLedger({ env: { TOKENMETER_DB: file } });
    assert.equal(await fromEnv.count({ since: 0, until: Number.MAX_SAFE_INTEGER }), 1);
    await fromEnv.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SQLITE_PATH, openLedger, resolveLedgerTarget } from '../../src/store/open-ledger.js';
import { dropTestSchemas, TEST_DATABASE_URL, uniqueSchema, urlWithSchema } from './postgres-test-db.js';
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

test('openLedger: a postgres URL (flag or TOKENMETER_DATABASE_URL) opens the Postgres ledger; --db beats the env URL', async () => {
  const schema = uniqueSchema();
  const ledger = await openLedger({ databaseUrl: TEST_DATABASE_URL, postgres: { schema } });
  try {
    assert.equal(ledger.kind, 'postgres');
    await ledger.append([makeEvent()]);
  } finally {
    await ledger.close();
  }
  const fromEnv = await openLedger({ env: { TOKENMETER_DATABASE_URL: urlWithSchema(schema) } });
  try {
    assert.equal(fromEnv.kind, 'postgres');
    assert.equal(await fromEnv.count({ since: 0, until: Number.MAX_SAFE_INTEGER }), 1);
  } finally {
    await fromEnv.close();
    await dropTestSchemas();
  }
  assert.deepEqual(resolveLedgerTarget({ db: 'x.db', env: { TOKENMETER_DATABASE_URL: 'postgres://h/db' } }), { engine: 'sqlite', path: 'x.db' });
  assert.deepEqual(resolveLedgerTarget({ env: { TOKENMETER_DATABASE_URL: 'postgres://h/db', TOKENMETER_DB: 'y.db' } }), { engine: 'postgres', url: 'postgres://h/db' });
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

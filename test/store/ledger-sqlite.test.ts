import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { SchemaTooNewError } from '../../src/store/sqlite/sqlite-migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { runLedgerContract } from './ledger-contract.js';
import { makeEvent } from '../support/make-event.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-sqlite-'));
let files = 0;
const freshFile = (): string => join(dir, `ledger-${++files}`, 'tokenmeter.db');
const cleanup = (): void => rmSync(dir, { recursive: true, force: true });

runLedgerContract('sqlite (file, WAL)', async () => SqliteLedger.open(freshFile()));
// Tiny pages and statements push pagination and the multi-row insert remainder paths hard.
runLedgerContract('sqlite (page 7, 3 rows per insert)', async () =>
  SqliteLedger.open(freshFile(), { pageSize: 7, rowsPerStatement: 3 }), cleanup);

const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

test('sqlite: creates the folder, uses WAL + synchronous=NORMAL, and persists across reopen', async () => {
  const file = freshFile();
  const ledger = SqliteLedger.open(file);
  assert.ok(existsSync(file));
  assert.equal(ledger.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(ledger.db.pragma('synchronous', { simple: true }), 1);
  const event = makeEvent();
  await ledger.append([event]);
  await ledger.close();
  const again = SqliteLedger.open(file);
  try {
    assert.equal(await again.count(all), 1);
    const rows = again.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(rows, SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  } finally {
    await again.close();
  }
});

test('sqlite: a database from a newer tokenmeter is refused with a clear error', async () => {
  const file = freshFile();
  await SqliteLedger.open(file).close();
  const raw = new Database(file);
  raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from-the-future', 0);
  raw.close();
  assert.throws(() => SqliteLedger.open(file), (error: unknown) => {
    assert.ok(error instanceof SchemaTooNewError);
    assert.match(error.message, /schema version 999/);
    assert.match(error.message, /upgrade tokenmeter/);
    return true;
  });
});

test('sqlite: time-range and unpriced queries use indexes, not full scans', async () => {
  const ledger = SqliteLedger.open(freshFile());
  try {
    const plan = (sql: string): string =>
      (ledger.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(0, 1) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
    assert.match(plan('SELECT COUNT(*) FROM usage_events WHERE ts >= ? AND ts < ?'), /USING COVERING INDEX usage_events_ts/);
    assert.match(plan('SELECT * FROM usage_events WHERE ts >= ? AND ts < ? ORDER BY ts, id'), /USING INDEX usage_events_ts/);
    assert.match(plan('SELECT provider FROM usage_events WHERE cost_total IS NULL AND ts >= ? AND ts < ?'), /usage_events_unpriced_ts/);
  } finally {
    await ledger.close();
  }
});

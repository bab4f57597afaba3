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
  SqliteLedger.open(freshFile(), { pageSize: 7, rowsPerStatement: 3 }));
// On the caller's thread, batches split into small transactions with yields between them.
runLedgerContract('sqlite (in-thread, 5 rows per transaction)', async () =>
  SqliteLedger.open(freshFile(), { appendThread: false, rowsPerTransaction: 5 }), cleanup);

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

test('sqlite: an in-thread batch is split into transactions that let the event loop run; a retry after a failure halfway stores each event once', async () => {
  const ledger = SqliteLedger.open(freshFile(), { appendThread: false, rowsPerTransaction: 100 });
  try {
    const t0 = Date.UTC(2026, 10, 20, 10);
    const events = Array.from({ length: 2_000 }, (_, i) => makeEvent({ ts: t0 + i * 1000 }));
    let turns = 0;
    let spinning = true;
    const spin = (): void => { if (spinning) { turns += 1; setImmediate(spin); } };
    setImmediate(spin);
    await ledger.append(events.slice(0, 1_000));
    spinning = false;
    assert.ok(turns >= 9, `the event loop ran between the 10 transactions (${turns} turns)`);

    // A trigger fails the 1,550th event: the first five transactions of the second half commit, the rest do not.
    ledger.db.exec(`CREATE TEMP TRIGGER fail_once BEFORE INSERT ON usage_events WHEN NEW.id = '${events[1_549]!.id}'
      BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    await assert.rejects(ledger.append(events.slice(1_000)), /injected failure/);
    assert.equal(await ledger.count(all), 1_500);
    ledger.db.exec('DROP TRIGGER fail_once');
    await ledger.append(events.slice(1_000));
    assert.equal(await ledger.count(all), 2_000);
    const check = await ledger.checkRollups({ since: t0, until: t0 + 2_000_000 });
    assert.equal(check.mismatches.length, 0, JSON.stringify(check.mismatches.slice(0, 3)));
    const [row] = await ledger.report({ ...all, by: 'feature' });
    assert.equal(row!.requests, 2_000);
  } finally {
    await ledger.close();
  }
});

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runRollupContract, rollupDataset, D0 } from './rollup-contract.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { migrateSqlite } from '../../src/store/sqlite/sqlite-migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { encodeEventInto, EVENT_COLUMNS } from '../../src/store/sqlite/sqlite-row-codec.js';
import { PostgresLedger } from '../../src/store/postgres/postgres-ledger.js';
import { sketchCell } from '../../src/store/rollup-sketch.js';
import { PG_CELL_SQL, PG_LOG2_SQL } from '../../src/store/postgres/postgres-rollups.js';
import { cellSql } from '../../src/store/sqlite/sqlite-rollups.js';
import { DAY_MS } from '../../src/store/rollup-accumulator.js';
import { dropTestSchemas, freshPostgresLedger, TEST_DATABASE_URL, uniqueSchema } from './postgres-test-db.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-rollups-'));
let files = 0;
const freshFile = (): string => join(dir, `rollups-${++files}.db`);
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropTestSchemas();
});

const all = { since: 0, until: Number.MAX_SAFE_INTEGER };
const DAYS = "SELECT bucket_start FROM usage_rollups WHERE dimension = '*' AND span_ms = 86400000 ORDER BY bucket_start";
const CORRUPT = "UPDATE usage_rollups SET requests = requests + 1 WHERE dimension = 'tenant' AND key = 'acme' AND span_ms = 86400000 AND bucket_start = ";

runRollupContract('sqlite', async () => {
  const ledger = SqliteLedger.open(freshFile());
  return {
    ledger, corrupt: async (day) => void ledger.db.prepare(`${CORRUPT}?`).run(day), close: () => ledger.close(),
    daysWithDayRows: async () => ledger.db.prepare(DAYS).pluck().all() as number[],
  };
});

runRollupContract('postgres (real server)', async () => {
  const ledger = await freshPostgresLedger();
  return {
    ledger, corrupt: async (day) => void (await ledger.pool.query(`${CORRUPT}$1`, [day])), close: () => ledger.close(),
    daysWithDayRows: async () => (await ledger.pool.query(DAYS)).rows.map((r) => Number(r.bucket_start)),
  };
});

test('sqlite: events stored before rollups existed are backfilled once when the file is migrated', async () => {
  const file = freshFile();
  const old = new Database(file);
  migrateSqlite(old, Date.now, SQLITE_MIGRATIONS.filter((m) => m.version < 4));
  const { batches, unique } = rollupDataset(300, 3);
  const insert = old.prepare(`INSERT OR IGNORE INTO usage_events (${EVENT_COLUMNS.join(',')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(',')})`);
  for (const event of batches.flat()) {
    const params: Array<string | number | null> = [];
    encodeEventInto(event, params);
    insert.run(params);
  }
  old.close();
  const ledger = SqliteLedger.open(file);
  try {
    const check = await ledger.checkRollups(all);
    assert.deepEqual(check.mismatches, []);
    assert.equal(check.events, unique);
    assert.equal((await ledger.report({ since: D0, until: D0 + 3 * DAY_MS, by: 'day' })).reduce((s, r) => s + r.requests, 0), unique);
  } finally {
    await ledger.close();
  }
  const again = SqliteLedger.open(file);
  try {
    assert.deepEqual((await again.checkRollups(all)).mismatches, [], 'not backfilled twice');
  } finally {
    await again.close();
  }
});

test('postgres: four replicas appending overlapping batches at once keep rollups exact', async () => {
  const schema = uniqueSchema();
  const replicas = await Promise.all(Array.from({ length: 4 }, () => PostgresLedger.open(TEST_DATABASE_URL, { schema, poolSize: 2 })));
  try {
    const { batches, unique } = rollupDataset(1200, 21);
    // Every batch goes to two replicas (a retry after a timeout), all replicas writing concurrently.
    await Promise.all(replicas.map(async (replica, r) => {
      for (let i = r; i < batches.length; i += 2) await replica.append(batches[i % batches.length]!);
      for (let i = (r + 1) % 2; i < batches.length; i += 4) await replica.append([...batches[i]!].reverse());
    }));
    assert.equal(await replicas[0]!.count(all), unique);
    const check = await replicas[1]!.checkRollups(all);
    assert.deepEqual(check.mismatches, []);
    assert.equal(check.events, unique);
  } finally {
    await Promise.all(replicas.map((replica) => replica.close()));
  }
});

test('postgres: the SQL sketch cell function and the inline expression agree with the JS one', async () => {
  const ledger = await freshPostgresLedger();
  try {
    const values = [0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 4095, 4096, 65_535, 65_536, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
    for (let v = 1; v < 5000; v = Math.ceil(v * 1.07)) values.push(v);
    const { rows } = await ledger.pool.query(`SELECT v, tokenmeter_sketch_cell(v) AS cell, ${PG_CELL_SQL} AS inline
      FROM (SELECT v, ${PG_LOG2_SQL} AS e FROM unnest($1::bigint[]) AS v) AS x`, [values]);
    for (const row of rows) {
      assert.equal(row.cell, sketchCell(row.v), `cell of ${row.v}`);
      assert.equal(Number(row.inline), sketchCell(row.v), `inline cell of ${row.v}`);
    }
  } finally {
    await ledger.close();
  }
});

test('sqlite: the SQL sketch cell expression (log2 or JS function) agrees with the JS one', async () => {
  const ledger = SqliteLedger.open(freshFile());
  try {
    const values = [0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 4095, 4096, 65_535, 65_536, 2 ** 31 - 1, 2 ** 31, 2 ** 40 - 1, 2 ** 40 + 7];
    for (let v = 1; v < 5000; v = Math.ceil(v * 1.07)) values.push(v);
    for (const math of [true, false]) {
      const stmt = ledger.db.prepare(`SELECT ${cellSql(math)} AS cell FROM (SELECT ? AS v)`);
      for (const v of values) assert.equal((stmt.get(v) as { cell: number }).cell, sketchCell(v), `cell of ${v} (log2: ${math})`);
    }
  } finally {
    await ledger.close();
  }
});

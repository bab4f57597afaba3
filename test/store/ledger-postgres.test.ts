import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runLedgerContract } from './ledger-contract.js';
import { adminQuery, dropTestSchemas, freshPostgresLedger, TEST_DATABASE_URL, uniqueSchema } from './postgres-test-db.js';
import { PostgresLedger } from '../../src/store/postgres/postgres-ledger.js';
import { PostgresSchemaTooNewError } from '../../src/store/postgres/postgres-migrate.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/postgres-migrations.js';
import { makeEvent } from '../support/make-event.js';

runLedgerContract('postgres (real server, schema per test)', () => freshPostgresLedger(), dropTestSchemas);

after(dropTestSchemas);

const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

test('postgres: events() pages by (ts, id) keyset across equal timestamps (7-row pages)', async () => {
  const ledger = await freshPostgresLedger({ pageSize: 7 });
  try {
    const events = Array.from({ length: 100 }, (_, i) => makeEvent({ ts: 1000 + Math.floor(i / 9), id: `k-${(37 * i) % 100}` }));
    await ledger.append([...events].reverse());
    const seen: string[] = [];
    for await (const event of ledger.events({ since: 1000, until: 2000 })) seen.push(event.id);
    assert.deepEqual(seen, [...events].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1)).map((e) => e.id));
  } finally {
    await ledger.close();
  }
});

test('postgres: replicas opening a fresh schema at once migrate it exactly once', async () => {
  const schema = uniqueSchema();
  const ledgers = await Promise.all(Array.from({ length: 6 }, () => PostgresLedger.open(TEST_DATABASE_URL, { schema, poolSize: 2 })));
  try {
    const { rows } = await adminQuery(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
    assert.deepEqual(rows, POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    await Promise.all(ledgers.map((ledger, i) => ledger.append([makeEvent({ id: `replica-${i}` })])));
    assert.equal(await ledgers[0]!.count(all), 6);
    assert.deepEqual(await ledgers[3]!.schemaStatus(), { current: POSTGRES_MIGRATIONS.length, latest: POSTGRES_MIGRATIONS.length });
  } finally {
    await Promise.all(ledgers.map((ledger) => ledger.close()));
  }
});

test('postgres: a schema from a newer tokenmeter is refused with a clear error', async () => {
  const schema = uniqueSchema();
  await (await PostgresLedger.open(TEST_DATABASE_URL, { schema })).close();
  await adminQuery(`INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES (999, 'from-the-future', 0)`);
  await assert.rejects(PostgresLedger.open(TEST_DATABASE_URL, { schema }), (error: unknown) => {
    assert.ok(error instanceof PostgresSchemaTooNewError);
    assert.equal(error.code, 'TOKENMETER_SCHEMA_TOO_NEW');
    assert.match(error.message, /version 999/);
    assert.match(error.message, /upgrade tokenmeter/);
    return true;
  });
});

test('postgres: ?schema= in the URL selects the schema; NUL characters do not poison a batch', async () => {
  const schema = uniqueSchema();
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('schema', schema);
  const ledger = await PostgresLedger.open(url.toString());
  try {
    assert.equal(ledger.schema, schema);
    await ledger.append([makeEvent({ requestText: 'a\u0000b', attribution: { feature: 'f\u0000' } })]);
    const { rows } = await adminQuery(`SELECT request_text, feature FROM "${schema}".usage_events`);
    assert.deepEqual(rows, [{ request_text: 'a\uFFFDb', feature: 'f\uFFFD' }]);
  } finally {
    await ledger.close();
  }
});

test('postgres: reports of rollup dimensions read rollups, not raw events', async () => {
  const ledger = await freshPostgresLedger();
  try {
    const events = Array.from({ length: 50 }, (_, i) => makeEvent({ ts: Date.UTC(2026, 10, 1, 10) + i * 60_000, attribution: { feature: i % 2 ? 'a' : 'b' } }));
    await ledger.append(events);
    // Raw rows gone, rollups kept: a whole-hour report still has every call.
    await ledger.pool.query('DELETE FROM usage_events');
    const rows = await ledger.report({ since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 10, 2), by: 'feature' });
    assert.deepEqual(rows.map((r) => [r.key, r.requests]).sort(), [['a', 25], ['b', 25]]);
    assert.deepEqual(await ledger.report({ since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 10, 2), by: 'user' }), []);
  } finally {
    await ledger.close();
  }
});

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresLedger, type PostgresLedgerOptions } from '../../src/store/postgres/postgres-ledger.js';

/** The test database (real server; `.ci/run` starts it): 127.0.0.1:5432, db `test`, user `postgres`, trust auth. */
export const TEST_DATABASE_URL = process.env.TOKENMETER_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const created = new Set<string>();

/** A schema name unique to this process and call, registered for dropTestSchemas(). */
export function uniqueSchema(label = 'tm'): string {
  const name = `${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  created.add(name);
  return name;
}

/** A URL selecting a fresh schema (tokenmeter's `?schema=` parameter), for child processes. */
export function urlWithSchema(schema: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** Opens a ledger in a new, empty schema. */
export function freshPostgresLedger(options: PostgresLedgerOptions = {}): Promise<PostgresLedger> {
  return PostgresLedger.open(TEST_DATABASE_URL, { poolSize: 4, ...options, schema: options.schema ?? uniqueSchema() });
}

/** Runs SQL on the test database outside any tokenmeter schema. */
export async function adminQuery(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/** Drops every schema this process created. */
export async function dropTestSchemas(): Promise<void> {
  if (created.size === 0) return;
  const names = [...created];
  created.clear();
  await adminQuery(names.map((name) => `DROP SCHEMA IF EXISTS "${name}" CASCADE;`).join('\n'));
}

import type pg from 'pg';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './postgres-migrations.js';
import { quoteIdent } from './postgres-connection.js';

/** Thrown when the database schema was written by a newer tokenmeter than this one. */
export class PostgresSchemaTooNewError extends Error {
  readonly code = 'TOKENMETER_SCHEMA_TOO_NEW';
  constructor(readonly databaseVersion: number, readonly supportedVersion: number, where: string) {
    super(
      `Postgres schema ${where} has version ${databaseVersion}, but this tokenmeter only knows up to ` +
        `version ${supportedVersion}; upgrade tokenmeter (or point --database-url at another database/schema) ` +
        'instead of downgrading the schema',
    );
    this.name = 'PostgresSchemaTooNewError';
  }
}

/**
 * Brings the schema up to the newest known version in one transaction. A transaction-scoped advisory
 * lock (keyed by schema) serializes replicas starting at once: the first migrates, the others wait,
 * then find nothing to do. Returns the version before and after.
 */
export async function migratePostgres(
  pool: pg.Pool,
  schema: string | null,
  now: () => number = Date.now,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('tokenmeter-migrate:' || COALESCE($1, current_schema(), ''), 0))`, [schema]);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations');
    const from = rows[0]!.v;
    if (from > latest) {
      const where = (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? schema ?? '?';
      throw new PostgresSchemaTooNewError(from, latest, `"${where}"`);
    }
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [migration.version, migration.name, now()]);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, latest) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** The schema's version and the newest this build knows (after open, so schema_migrations exists). */
export async function postgresSchemaStatus(pool: pg.Pool): Promise<{ current: number; latest: number }> {
  const { rows } = await pool.query<{ v: number }>('SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations');
  return { current: rows[0]!.v, latest: POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version };
}

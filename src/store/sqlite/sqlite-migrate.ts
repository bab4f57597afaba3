import type Database from 'better-sqlite3';
import type { Migration } from './migration-types.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

/** Thrown when the database was written by a newer tokenmeter than this one. */
export class SchemaTooNewError extends Error {
  readonly code = 'TOKENMETER_SCHEMA_TOO_NEW';
  constructor(readonly databaseVersion: number, readonly supportedVersion: number, file: string) {
    super(
      `database ${file} has schema version ${databaseVersion}, but this tokenmeter only knows up to ` +
        `version ${supportedVersion}; upgrade tokenmeter (or point --db at another file) instead of downgrading the schema`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Brings the schema up to the newest known version, one transaction per migration.
 * BEGIN IMMEDIATE takes the write lock first, so two processes opening a fresh file cannot both migrate.
 * Returns the schema version after migrating. `now` stamps applied_at.
 */
export function migrateSqlite(
  db: Database.Database,
  now: () => number = Date.now,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const currentStmt = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const step = db.transaction((): number => {
    const current = (currentStmt.get() as { v: number }).v;
    if (current > latest) throw new SchemaTooNewError(current, latest, db.name);
    const next = migrations.find((migration) => migration.version === current + 1);
    if (!next) return current;
    db.exec(next.sql);
    record.run(next.version, next.name, now());
    return next.version;
  });
  let version = -1;
  for (;;) {
    const after = step.immediate();
    if (after === version) return after;
    version = after;
  }
}

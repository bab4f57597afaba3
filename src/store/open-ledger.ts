import type { Ledger } from './ledger.js';
import { SqliteLedger, type SqliteLedgerOptions } from './sqlite/sqlite-ledger.js';
import type { PostgresLedgerOptions } from './postgres/postgres-ledger.js';

/** Where the embedded ledger lives when nothing else is configured (relative to the working directory). */
export const DEFAULT_SQLITE_PATH = './.tokenmeter/tokenmeter.db';

/**
 * How to find the ledger: `databaseUrl`, then `db`, then TOKENMETER_DATABASE_URL, then TOKENMETER_DB
 * (an explicit option beats the environment).
 */
export interface OpenLedgerOptions {
  /** SQLite file path (':memory:' for a throwaway database). */
  db?: string;
  /** Server database URL, e.g. postgres://user@host/db. */
  databaseUrl?: string;
  /** Environment to read TOKENMETER_DATABASE_URL and TOKENMETER_DB from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Postgres settings (schema, pool size) when the target is Postgres. */
  postgres?: PostgresLedgerOptions;
  /** SQLite settings when the target is SQLite. */
  sqlite?: SqliteLedgerOptions;
}

/** Thrown for a database URL this build cannot open. */
export class UnsupportedDatabaseError extends Error {
  readonly code = 'TOKENMETER_UNSUPPORTED_DATABASE';
}

/** The engine an option set selects, without opening anything. */
export type LedgerTarget = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

/** Resolves options and environment into one engine and location. */
export function resolveLedgerTarget(options: OpenLedgerOptions = {}): LedgerTarget {
  const env = options.env ?? process.env;
  const url = options.databaseUrl?.trim() || (options.db?.trim() ? undefined : env.TOKENMETER_DATABASE_URL?.trim());
  if (url) {
    if (/^postgres(ql)?:\/\//i.test(url)) return { engine: 'postgres', url };
    if (/^sqlite:/i.test(url)) return { engine: 'sqlite', path: url.replace(/^sqlite:(\/\/)?/i, '') || DEFAULT_SQLITE_PATH };
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? url;
    throw new UnsupportedDatabaseError(
      `unsupported database URL scheme "${scheme}": use postgres://... or sqlite:PATH (or --db PATH for SQLite)`);
  }
  const path = options.db?.trim() || env.TOKENMETER_DB?.trim() || DEFAULT_SQLITE_PATH;
  return { engine: 'sqlite', path };
}

/** Opens (and migrates) the configured ledger; SQLite creates its folder and file on first use. */
export async function openLedger(options: OpenLedgerOptions = {}): Promise<Ledger> {
  const target = resolveLedgerTarget(options);
  switch (target.engine) {
    case 'sqlite':
      return SqliteLedger.open(target.path, options.sqlite);
    case 'postgres': {
      // pg (~4 MiB of heap) is loaded only for a Postgres ledger.
      const { PostgresLedger } = await import('./postgres/postgres-ledger.js');
      return PostgresLedger.open(target.url, options.postgres);
    }
  }
}

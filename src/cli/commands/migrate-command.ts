import type { Command } from 'commander';
import { openLedger, resolveLedgerTarget, type OpenLedgerOptions } from '../../store/open-ledger.js';
import { maintenanceOf } from '../../store/rollup-maintenance.js';
import { redactUrl } from '../../store/redact-url.js';
import type { Ledger } from '../../store/ledger.js';

/** Injection points for tests. */
export interface MigrateCommandDeps {
  stdout?: NodeJS.WritableStream;
  openLedger?: (options: OpenLedgerOptions) => Promise<Ledger>;
}

/** Where a ledger target lives, for messages (passwords redacted). */
export function describeTarget(options: OpenLedgerOptions): string {
  const target = resolveLedgerTarget(options);
  return target.engine === 'sqlite' ? `SQLite ${target.path}` : `Postgres ${redactUrl(target.url)}`;
}

/**
 * `tokenmeter migrate`: creates or upgrades the ledger schema (the gateway also does it on start).
 * A schema newer than this build is refused with TOKENMETER_SCHEMA_TOO_NEW and exit code 1.
 */
export function registerMigrateCommand(program: Command, deps: MigrateCommandDeps = {}): void {
  program
    .command('migrate')
    .description('create or upgrade the ledger schema (SQLite file or Postgres database) to this version')
    .option('--db <path>', 'SQLite ledger file (env TOKENMETER_DB; default ./.tokenmeter/tokenmeter.db)')
    .option('--database-url <url>', 'Postgres URL (env TOKENMETER_DATABASE_URL); ?schema=NAME selects a schema')
    .action(async (options: { db?: string; databaseUrl?: string }) => {
      const location: OpenLedgerOptions = { db: options.db, databaseUrl: options.databaseUrl };
      const ledger = await (deps.openLedger ?? openLedger)(location);
      try {
        const status = await maintenanceOf(ledger)?.schemaStatus();
        (deps.stdout ?? process.stdout).write(status
          ? `${describeTarget(location)}: schema version ${status.current} (newest this build knows: ${status.latest})\n`
          : `${describeTarget(location)}: up to date\n`);
      } finally {
        await ledger.close();
      }
    });
}

import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { parseSince, ReportArgumentError } from '../../analysis/report-query.js';
import { maintenanceOf } from '../../store/rollup-maintenance.js';
import { failOnBadArgument, openExistingLedger, type LedgerCommandDeps } from './report-command.js';

const DAY_MS = 86_400_000;

interface PruneCommandOptions {
  db?: string;
  databaseUrl?: string;
  config?: string;
  olderThan?: string;
  rollupsOlderThan?: string;
  json?: boolean;
}

/** Cut-offs from flags, else from `retention` in the config; null when there is nothing to prune. */
export function pruneCutoffs(options: PruneCommandOptions, retention: { rawDays?: number; rollupDays?: number }, now: number):
  { rawBefore?: number; rollupsBefore?: number } {
  const rawBefore = options.olderThan !== undefined ? parseSince(options.olderThan, now)
    : retention.rawDays !== undefined ? now - retention.rawDays * DAY_MS : undefined;
  const rollupsBefore = options.rollupsOlderThan !== undefined ? parseSince(options.rollupsOlderThan, now)
    : retention.rollupDays !== undefined ? now - retention.rollupDays * DAY_MS : undefined;
  if (rawBefore === undefined && rollupsBefore === undefined) {
    throw new ReportArgumentError('nothing to prune: pass --older-than 90d (and/or --rollups-older-than 400d), or set retention.rawDays / retention.rollupDays in the config');
  }
  if (rawBefore !== undefined && rollupsBefore !== undefined && rollupsBefore > rawBefore) {
    throw new ReportArgumentError('--rollups-older-than must be at least --older-than: rollups outlive the raw events they summarize');
  }
  return { rawBefore, rollupsBefore };
}

const day = (ms: number): string => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/**
 * `tokenmeter prune`: deletes raw events older than --older-than (default retention.rawDays) and rollup
 * rows older than --rollups-older-than (default retention.rollupDays), in whole UTC days. Reports by
 * rollup dimensions keep working for pruned days; user/task reports and exports need raw events.
 */
export function registerPruneCommand(program: Command, deps: LedgerCommandDeps = {}): void {
  program
    .command('prune')
    .description('delete raw events (and, later, rollups) past the retention period, in whole UTC days')
    .option('--older-than <age>', 'delete raw events older than this (90d, 12w, or a date); default retention.rawDays')
    .option('--rollups-older-than <age>', 'delete rollup rows older than this; default retention.rollupDays')
    .option('--db <path>', 'SQLite ledger file (default $TOKENMETER_DB or ./.tokenmeter/tokenmeter.db)')
    .option('--database-url <url>', 'Postgres URL (env TOKENMETER_DATABASE_URL)')
    .option('-c, --config <file>', 'config file with retention (default ./tokenmeter.yaml when present)')
    .option('--json', 'print the result as JSON')
    .action(async (options: PruneCommandOptions, command: Command) => {
      const now = (deps.now ?? Date.now)();
      let cutoffs: { rawBefore?: number; rollupsBefore?: number };
      try {
        const retention = loadConfig(options.config, {}, {}).retention;
        cutoffs = pruneCutoffs(options, retention, now);
      } catch (error) {
        failOnBadArgument(command, error);
      }
      const ledger = await openExistingLedger(command, options, deps);
      try {
        const maintenance = maintenanceOf(ledger);
        if (!maintenance) command.error(`error: the ${ledger.kind} ledger cannot be pruned`, { exitCode: 1 });
        const result = await maintenance.prune(cutoffs);
        const stdout = deps.stdout ?? process.stdout;
        if (options.json) {
          stdout.write(`${JSON.stringify({
            raw_before: cutoffs.rawBefore === undefined ? null : day(cutoffs.rawBefore),
            rollups_before: cutoffs.rollupsBefore === undefined ? null : day(cutoffs.rollupsBefore),
            events_deleted: result.events, rollup_rows_deleted: result.rollupRows,
          })}\n`);
        } else {
          if (cutoffs.rawBefore !== undefined) stdout.write(`deleted ${result.events} raw events before ${day(cutoffs.rawBefore)} (UTC)\n`);
          if (cutoffs.rollupsBefore !== undefined) stdout.write(`deleted ${result.rollupRows} rollup rows before ${day(cutoffs.rollupsBefore)} (UTC)\n`);
        }
      } finally {
        await ledger.close();
      }
    });
}

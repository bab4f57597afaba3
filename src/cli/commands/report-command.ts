import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Ledger, ReportDimension, TimeRange } from '../../store/ledger.js';
import { REPORT_DIMENSIONS } from '../../store/ledger.js';
import { openLedger, resolveLedgerTarget, type OpenLedgerOptions } from '../../store/open-ledger.js';
import { parseDimension, parseLimit, resolveTimeRange, ReportArgumentError, DEFAULT_SINCE } from '../../analysis/report-query.js';
import { reportToJson, reportToTable, unpricedToJson, unpricedToTable } from '../../analysis/report-format.js';

/** Injection points for running ledger commands in-process (tests); every field defaults to the real thing. */
export interface LedgerCommandDeps {
  stdout?: Writable;
  stderr?: Writable & { isTTY?: boolean };
  now?: () => number;
  openLedger?: (options: OpenLedgerOptions) => Promise<Ledger>;
}

/** Options shared by commands that read the ledger. */
export interface LedgerLocationOptions {
  db?: string;
  databaseUrl?: string;
}

/** Exit code for invalid arguments (bad dimension, time, format). */
export const EXIT_BAD_ARGUMENT = 2;

/**
 * Opens the ledger a read-only command points at. A missing SQLite file is an error rather than
 * silently creating an empty ledger (a typo in --db would otherwise print an empty report).
 */
export async function openExistingLedger(command: Command, options: LedgerLocationOptions, deps: LedgerCommandDeps): Promise<Ledger> {
  const location: OpenLedgerOptions = { db: options.db, databaseUrl: options.databaseUrl };
  if (!deps.openLedger) {
    const target = resolveLedgerTarget(location);
    if (target.engine === 'sqlite' && target.path !== ':memory:' && !existsSync(target.path)) {
      command.error(`error: no ledger database at ${target.path} (run the gateway first, or pass --db PATH / set TOKENMETER_DB)`,
        { exitCode: 1, code: 'tokenmeter.noLedger' });
    }
  }
  return (deps.openLedger ?? openLedger)(location);
}

/** Reports a ReportArgumentError as a usage error (exit code 2); rethrows anything else. */
export function failOnBadArgument(command: Command, error: unknown): never {
  if (error instanceof ReportArgumentError) {
    command.error(`error: ${error.message}`, { exitCode: EXIT_BAD_ARGUMENT, code: 'tokenmeter.badArgument' });
  }
  throw error;
}

interface ReportOptions extends LedgerLocationOptions {
  by: string;
  since?: string;
  until?: string;
  json?: boolean;
  unpriced?: boolean;
  limit?: string;
}

const rangeLabel = (range: TimeRange): string =>
  `${new Date(range.since).toISOString().slice(0, 16)}Z to ${new Date(range.until).toISOString().slice(0, 16)}Z`;

/** `tokenmeter report`: spend and usage grouped by a dimension, as a table or a JSON array. */
export function registerReportCommand(program: Command, deps: LedgerCommandDeps = {}): void {
  program
    .command('report')
    .description('spend and token usage from the ledger, grouped by a dimension')
    .option('--db <path>', 'SQLite ledger file (default $TOKENMETER_DB or ./.tokenmeter/tokenmeter.db)')
    .option('--database-url <url>', 'server database URL instead of --db (postgres://...)')
    .option('--by <dimension>', `group by one of: ${REPORT_DIMENSIONS.join(', ')}`, 'feature')
    .option('--since <time>', `start: a duration before now (30m, 24h, 7d), a UTC date or an ISO time (default ${DEFAULT_SINCE})`)
    .option('--until <time>', 'end, exclusive (default now); same formats as --since')
    .option('--json', 'print a JSON array only')
    .option('--unpriced', 'list models seen without a price instead of spend')
    .option('--limit <n>', 'show at most N groups, largest cost first')
    .action(async (options: ReportOptions, command: Command) => {
      const stdout = deps.stdout ?? process.stdout;
      const now = (deps.now ?? Date.now)();
      let by: ReportDimension;
      let range: TimeRange;
      let limit: number | undefined;
      try {
        by = parseDimension(options.by);
        range = resolveTimeRange(options, now);
        limit = options.limit === undefined ? undefined : parseLimit(options.limit);
      } catch (error) {
        failOnBadArgument(command, error);
      }
      const ledger = await openExistingLedger(command, options, deps);
      try {
        if (options.unpriced) {
          const rows = await ledger.unpriced(range);
          const listed = limit === undefined ? rows : rows.slice(0, limit);
          stdout.write(options.json ? `${JSON.stringify(unpricedToJson(listed), null, 2)}\n`
            : `Models without a price, ${rangeLabel(range)}\n${unpricedToTable(listed)}`);
          return;
        }
        const rows = await ledger.report({ ...range, by, limit });
        stdout.write(options.json ? `${JSON.stringify(reportToJson(rows), null, 2)}\n`
          : `Spend by ${by}, ${rangeLabel(range)} (UTC)\n${reportToTable(rows, by)}`);
      } finally {
        await ledger.close();
      }
    });
}

import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Ledger, ReportDimension, TimeRange } from '../../store/ledger.js';
import { REPORT_DIMENSIONS } from '../../store/ledger.js';
import { openLedger, resolveLedgerTarget, type OpenLedgerOptions } from '../../store/open-ledger.js';
import { parseDimension, parseLimit, parsePer, resolveTimeRange, ReportArgumentError, DEFAULT_SINCE } from '../../analysis/report-query.js';
import { reportToJson, reportToTable, unpricedToJson, unpricedToTable } from '../../analysis/report-format.js';
import { emptyGroup, loadTaskView, taskGroups, taskTotal } from '../../analysis/task-report.js';
import { outcomeJsonFields, outcomeTable, retryJsonFields, retryTable } from '../../analysis/task-report-format.js';
import { hasOutcomeStore, outcomeStoreFor } from '../../store/open-outcome-store.js';

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
  // An explicit --db beats TOKENMETER_DATABASE_URL; the URL beats TOKENMETER_DB (as in the gateway's config loader).
  const databaseUrl = options.databaseUrl ?? (options.db ? undefined : process.env.TOKENMETER_DATABASE_URL);
  const location: OpenLedgerOptions = { db: options.db, databaseUrl };
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
  per?: string;
  retries?: boolean;
}

const rangeLabel = (range: TimeRange): string =>
  `${new Date(range.since).toISOString().slice(0, 16)}Z to ${new Date(range.until).toISOString().slice(0, 16)}Z`;

/** `tokenmeter report`: spend and usage grouped by a dimension, as a table or a JSON array. */
export function registerReportCommand(program: Command, deps: LedgerCommandDeps = {}): void {
  program
    .command('report')
    .description('spend and token usage from the ledger, grouped by a dimension')
    .option('--db <path>', 'SQLite ledger file (default $TOKENMETER_DB or ./.tokenmeter/tokenmeter.db)')
    .option('--database-url <url>', 'server database URL instead of --db (postgres://...; env TOKENMETER_DATABASE_URL)')
    .option('--by <dimension>', `group by one of: ${REPORT_DIMENSIONS.join(', ')}`, 'feature')
    .option('--since <time>', `start: a duration before now (30m, 24h, 7d), a UTC date or an ISO time (default ${DEFAULT_SINCE})`)
    .option('--until <time>', 'end, exclusive (default now); same formats as --since')
    .option('--json', 'print a JSON array only')
    .option('--unpriced', 'list models seen without a price instead of spend')
    .option('--limit <n>', 'show at most N groups, largest cost first')
    .option('--per <unit>', 'cost per unit of value, outcome:NAME (e.g. outcome:ticket_resolved): tasks, successes, $/success, spend that produced nothing')
    .option('--retries', 'retries, retry rate and retry cost per group; calls and retries per task')
    .action(async (options: ReportOptions, command: Command) => {
      const stdout = deps.stdout ?? process.stdout;
      const now = (deps.now ?? Date.now)();
      let by: ReportDimension;
      let range: TimeRange;
      let limit: number | undefined;
      let outcome: string | null = null;
      try {
        if (options.per !== undefined) outcome = parsePer(options.per);
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
        if (outcome !== null && !hasOutcomeStore(ledger)) {
          command.error(`error: --per outcome needs outcomes, and the ${ledger.kind} ledger does not store them yet`, { exitCode: 1, code: 'tokenmeter.noOutcomes' });
        }
        if (outcome !== null || options.retries) {
          // Task views reuse the report's groups and order; their totals count a task once.
          const { rollup, verdicts } = await loadTaskView(ledger, outcome !== null ? outcomeStoreFor(ledger) : null, { ...range, by }, outcome);
          const groups = taskGroups(rollup, verdicts);
          const shown = rows.map((row) => groups.get(row.key) ?? emptyGroup(row.key));
          if (options.json) {
            const json = reportToJson(rows).map((row, i) => ({
              ...row,
              ...(outcome !== null ? outcomeJsonFields(shown[i]!, outcome) : {}),
              ...(options.retries ? retryJsonFields(shown[i]!) : {}),
            }));
            stdout.write(`${JSON.stringify(json, null, 2)}\n`);
            return;
          }
          const total = taskTotal(rollup, new Set(rows.map((row) => row.key)), verdicts);
          if (outcome !== null) stdout.write(`Cost per "${outcome}" outcome by ${by}, ${rangeLabel(range)} (UTC)\n${outcomeTable(shown, total, by, outcome)}`);
          if (options.retries) stdout.write(`Retries by ${by}, ${rangeLabel(range)} (UTC)\n${retryTable(shown, total, by)}`);
          return;
        }
        stdout.write(options.json ? `${JSON.stringify(reportToJson(rows), null, 2)}\n`
          : `Spend by ${by}, ${rangeLabel(range)} (UTC)\n${reportToTable(rows, by)}`);
      } finally {
        await ledger.close();
      }
    });
}

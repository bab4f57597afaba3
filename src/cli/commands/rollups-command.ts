import type { Command } from 'commander';
import { resolveTimeRange, type ReportArgumentError } from '../../analysis/report-query.js';
import type { TimeRange } from '../../store/ledger.js';
import { maintenanceOf, type LedgerMaintenance } from '../../store/rollup-maintenance.js';
import { failOnBadArgument, openExistingLedger, type LedgerCommandDeps } from './report-command.js';

interface RollupsOptions {
  db?: string;
  databaseUrl?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const rangeText = (range: TimeRange): string =>
  range.since >= range.until ? 'no whole day with raw events' : `${day(range.since)} to ${day(range.until - 1)} (UTC days)`;

/** Exit code of `rollups check` when a rollup differs from its raw events. */
export const EXIT_ROLLUP_MISMATCH = 3;

async function withMaintenance(command: Command, options: RollupsOptions, deps: LedgerCommandDeps, defaultSince: string | null,
  body: (maintenance: LedgerMaintenance, range: TimeRange) => Promise<void>): Promise<void> {
  let range: TimeRange;
  try {
    range = resolveTimeRange(options, (deps.now ?? Date.now)(), defaultSince);
  } catch (error) {
    failOnBadArgument(command, error as ReportArgumentError);
  }
  const ledger = await openExistingLedger(command, options, deps);
  try {
    const maintenance = maintenanceOf(ledger);
    if (!maintenance) command.error(`error: the ${ledger.kind} ledger keeps no rollups`, { exitCode: 1 });
    await body(maintenance, range);
  } finally {
    await ledger.close();
  }
}

const addLocation = (command: Command): Command => command
  .option('--db <path>', 'SQLite ledger file (default $TOKENMETER_DB or ./.tokenmeter/tokenmeter.db)')
  .option('--database-url <url>', 'Postgres URL (env TOKENMETER_DATABASE_URL)')
  .option('--until <time>', 'end, exclusive (default now); same formats as --since')
  .option('--json', 'print the result as JSON');

/** `tokenmeter rollups check|rebuild`: recompute hour/day rollups from raw events and compare, or replace. */
export function registerRollupsCommand(program: Command, deps: LedgerCommandDeps = {}): void {
  const rollups = program.command('rollups').description('verify or rebuild the hour/day rollups that reports read');
  addLocation(rollups.command('check'))
    .description('recompute rollups from raw events and compare exactly (whole UTC days; exit 3 on a difference)')
    .option('--since <time>', 'start: a duration before now (2d), a UTC date or an ISO time (default 2d)')
    .action(async (options: RollupsOptions, command: Command) => {
      await withMaintenance(command, options, deps, '2d', async (maintenance, range) => {
        const result = await maintenance.checkRollups(range);
        const stdout = deps.stdout ?? process.stdout;
        if (options.json) stdout.write(`${JSON.stringify(result)}\n`);
        else {
          stdout.write(`checked ${rangeText(result.range)}: ${result.events} raw events, ${result.rows} rollup rows, ` +
            `${result.mismatches.length === 0 ? 'all equal' : `${result.mismatches.length} differ`}\n`);
          for (const m of result.mismatches) {
            stdout.write(`  ${m.spanMs === 3_600_000 ? 'hour' : 'day'} ${new Date(m.bucketStart).toISOString()} ${m.dimension}=${m.key ?? '(none)'}: ` +
              `${m.field} expected ${m.expected}, stored ${m.actual}\n`);
          }
          if (result.mismatches.length > 0) stdout.write('repair with: tokenmeter rollups rebuild --since ... (same range)\n');
        }
        if (result.mismatches.length > 0) process.exitCode = EXIT_ROLLUP_MISMATCH;
      });
    });
  addLocation(rollups.command('rebuild'))
    .description('replace the rollups of a range (whole UTC days) with ones recomputed from raw events')
    .option('--since <time>', 'start: a duration before now, a UTC date or an ISO time (default: all raw events)')
    .action(async (options: RollupsOptions, command: Command) => {
      await withMaintenance(command, options, deps, null, async (maintenance, range) => {
        const result = await maintenance.rebuildRollups(range);
        const stdout = deps.stdout ?? process.stdout;
        stdout.write(options.json ? `${JSON.stringify(result)}\n`
          : `rebuilt ${rangeText(result.range)}: ${result.rows} rollup rows from ${result.events} raw events\n`);
      });
    });
}

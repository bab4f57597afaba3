import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { resolveTimeRange, ReportArgumentError } from '../../analysis/report-query.js';
import { csvHeader, eventToCsvLine, eventToJsonLine } from '../../analysis/report-export.js';
import { failOnBadArgument, openExistingLedger, type LedgerCommandDeps, type LedgerLocationOptions } from './report-command.js';
import { ProgressBar } from '../progress-bar.js';

interface ExportOptions extends LedgerLocationOptions {
  format: string;
  since?: string;
  until?: string;
  out?: string;
}

const FORMATS = ['csv', 'jsonl'] as const;
/** Lines are joined into ~64 KB writes: one syscall per few hundred events, not one per event. */
const CHUNK_CHARS = 64 * 1024;
const PROGRESS_EVERY = 1_000;
/** Below this many events an export finishes too fast for a progress bar to help. */
const PROGRESS_MIN_EVENTS = 10_000;

/** Writes with backpressure: waits for 'drain' when the stream's buffer is full, fails on a stream error. */
async function write(stream: Writable, text: string): Promise<void> {
  if (stream.write(text)) return;
  await once(stream, 'drain');
}

/**
 * `tokenmeter export`: streams ledger events as CSV or JSON lines, page by page (never all in memory).
 * Money is exact USD decimal strings. With --out the file is written under a temporary name and
 * renamed when complete, so a failed export never leaves a truncated file behind.
 */
export function registerExportCommand(program: Command, deps: LedgerCommandDeps = {}): void {
  program
    .command('export')
    .description('stream ledger events as CSV or JSON lines (money as exact USD decimals)')
    .requiredOption('--format <format>', `output format: ${FORMATS.join(' or ')}`)
    .option('--db <path>', 'SQLite ledger file (default $TOKENMETER_DB or ./.tokenmeter/tokenmeter.db)')
    .option('--database-url <url>', 'server database URL instead of --db (postgres://...; env TOKENMETER_DATABASE_URL)')
    .option('--since <time>', 'start: a duration before now (30m, 24h, 7d), a UTC date or an ISO time (default: all events)')
    .option('--until <time>', 'end, exclusive (default now); same formats as --since')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (options: ExportOptions, command: Command) => {
      const stderr = deps.stderr ?? process.stderr;
      const format = options.format.trim().toLowerCase();
      let range;
      try {
        if (!(FORMATS as readonly string[]).includes(format)) {
          throw new ReportArgumentError(`invalid --format "${options.format}": use ${FORMATS.join(' or ')}`);
        }
        range = resolveTimeRange(options, (deps.now ?? Date.now)(), null);
      } catch (error) {
        failOnBadArgument(command, error);
      }
      const ledger = await openExistingLedger(command, options, deps);
      const partial = options.out ? `${options.out}.partial-${process.pid}` : null;
      const output: Writable = partial ? createWriteStream(partial) : deps.stdout ?? process.stdout;
      // A bar on stderr only when it is a terminal and does not share it with the exported lines.
      const stdoutIsTty = (deps.stdout ?? process.stdout as Writable & { isTTY?: boolean }) as Writable & { isTTY?: boolean };
      const showProgress = stderr.isTTY === true && (partial !== null || stdoutIsTty.isTTY !== true);
      const total = showProgress ? await ledger.count(range) : 0;
      const bar = total >= PROGRESS_MIN_EVENTS ? new ProgressBar('exporting', total, stderr as NodeJS.WriteStream) : null;
      let failure: unknown = null;
      const onError = (error: unknown): void => { failure ??= error; };
      output.on('error', onError);
      let exported = 0;
      try {
        const line = format === 'csv' ? eventToCsvLine : eventToJsonLine;
        let buffer = format === 'csv' ? csvHeader() : '';
        for await (const event of ledger.events(range)) {
          buffer += line(event);
          exported += 1;
          if (buffer.length >= CHUNK_CHARS) {
            await write(output, buffer);
            buffer = '';
            if (failure) throw failure;
          }
          if (bar && exported % PROGRESS_EVERY === 0) bar.tick(PROGRESS_EVERY);
        }
        if (buffer) await write(output, buffer);
        if (bar) {
          bar.tick(exported % PROGRESS_EVERY);
          bar.done();
        }
        if (partial) {
          output.end();
          await once(output, 'finish');
        }
        if (failure) throw failure;
        if (partial) {
          renameSync(partial, options.out!);
          stderr.write(`exported ${exported.toLocaleString('en-US')} events to ${options.out}\n`);
        }
      } catch (error) {
        if (partial) {
          output.destroy();
          rmSync(partial, { force: true });
        }
        // A closed pipe (`| head`) is a normal way to stop reading, not a failure.
        if ((error as NodeJS.ErrnoException)?.code !== 'EPIPE') throw error;
      } finally {
        output.off('error', onError);
        await ledger.close();
      }
    });
}

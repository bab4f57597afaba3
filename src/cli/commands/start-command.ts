import cluster from 'node:cluster';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { startGateway } from '../../gateway/start-gateway.js';
import { parsePort, parsePositiveInt } from '../cli-parsers.js';
import { runPrimary, type WorkerListening } from './start-workers.js';
import { startAutoPrune } from './auto-prune.js';
import { warmUpGateway } from '../../gateway/connection-warm-up.js';
import { createLogger } from '../../gateway/logger.js';
import { AdaptiveHelperPriority, LOW_NICE } from '../helper-thread-priority.js';
import { capYoungGeneration, limitOldGenerationGrowth } from '../heap-limits.js';
import type { Ledger } from '../../store/ledger.js';
import { SqliteLedger } from '../../store/sqlite/sqlite-ledger.js';

/** `tokenmeter start`: runs the metered gateway until SIGINT/SIGTERM, then flushes the ledger. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the metered gateway (OpenAI- and Anthropic-compatible) on the embedded SQLite ledger by default')
    .option('-p, --port <port>', 'port to listen on (env TOKENMETER_PORT; default 4000)', parsePort)
    .option('-H, --host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--db <path>', 'SQLite ledger file (env TOKENMETER_DB; default ./.tokenmeter/tokenmeter.db)')
    .option('--database-url <url>', 'Postgres ledger URL (env TOKENMETER_DATABASE_URL)')
    .option('-c, --config <file>', 'config file (default ./tokenmeter.yaml when present)')
    .option('--openai-url <url>', 'OpenAI-compatible upstream base URL including /v1 (e.g. http://127.0.0.1:9000/v1)')
    .option('--anthropic-url <url>', 'Anthropic upstream base URL without /v1')
    .option('--redis-url <url>', 'share budget and rate-limit counters through Redis (env TOKENMETER_REDIS_URL)')
    .option('--no-warm-up', 'skip the start-up warm-up over loopback connections (server.warmUpConnections)')
    .option('-w, --workers <n>', 'gateway processes sharing the port (node cluster), each with its own ledger writer (default 1)', parsePositiveInt)
    .action(async (options) => {
      const config = loadConfig(options.config, {
        host: options.host,
        port: options.port,
        db: options.db,
        databaseUrl: options.databaseUrl,
        openaiUrl: options.openaiUrl,
        anthropicUrl: options.anthropicUrl,
        redisUrl: options.redisUrl,
      });
      if (cluster.isPrimary && (options.workers ?? 1) > 1) {
        await runPrimary(config, options.workers);
        return;
      }
      // This process is the gateway's alone (not an embedding app), so it may tune its own V8 heap.
      capYoungGeneration(config.memory.youngGenerationMiB);
      limitOldGenerationGrowth(config.memory.oldGenerationGrowthPercent);
      // Before the gateway listens, so no caller's request meets the warm-up (or the code it leaves unoptimized).
      if (options.warmUp !== false) {
        await warmUpGateway(config, config.server.warmUpConnections).then(
          (done) => done.requests > 0 && createLogger().info('start-up warm-up done', { calls: done.requests, ok: done.ok, connections: done.connections, ms: done.ms }),
          (error: Error) => createLogger().warn('start-up warm-up skipped', { error: error.message }),
        );
      }
      // Before startGateway: the SQLite append thread it starts sets its own (idle) priority.
      const helpers = config.server.helperThreads === 'adaptive' ? AdaptiveHelperPriority.start() : null;
      if (helpers) {
        createLogger().info('helper threads adapt to load', { threads: helpers.stats().threads, idleLoop: `nice ${LOW_NICE}`, saturatedLoop: 'their own priority' });
      } else if (config.server.helperThreads === 'adaptive') {
        createLogger().info('helper threads left at their priority', { reason: 'not Linux, started at nice 19, or this process may not raise a thread back to its nice (CAP_SYS_NICE or RLIMIT_NICE)' });
      }
      const gateway = await startGateway(config);
      // A cluster worker reports to its primary, which prints one line for all; it prunes for them too.
      if (cluster.isWorker) process.send?.({ kind: 'tokenmeter:listening', url: gateway.url } satisfies WorkerListening);
      else process.stdout.write(`tokenmeter listening on ${gateway.url}\n`);
      const stopPrune = cluster.isWorker ? () => {} : startAutoPrune(config, gateway.ledger, (m) => void process.stderr.write(`tokenmeter: ${m}\n`));
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`tokenmeter: ${signal} received, finishing in-flight requests and flushing the ledger\n`);
        stopPrune();
        helpers?.stop();
        gateway.close().then(
          () => {
            const stats = gateway.writer.stats();
            process.stderr.write(`tokenmeter: stopped; ${stats.written} events written, ${stats.dropped} dropped${appendThreadSummary(gateway.ledger)}${helperSummary(helpers)}\n`);
            process.exit(0);
          },
          (error) => {
            process.stderr.write(`tokenmeter: error while stopping: ${error?.message ?? error}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}

/** How long the helper threads ran at low priority ('' where they were left alone). */
function helperSummary(helpers: AdaptiveHelperPriority | null): string {
  if (!helpers) return '';
  const { threads, switches, lowMs } = helpers.stats();
  return `; ${threads} helper threads at nice ${LOW_NICE} for ${(lowMs / 1000).toFixed(1)} s (${switches} priority changes)`;
}

/** How the SQLite ledger's append thread fared, for the stop message ('' for other ledgers or without a thread). */
function appendThreadSummary(ledger: Ledger): string {
  if (!(ledger instanceof SqliteLedger)) return '';
  const { thread, inline, threadPriority, cpuLends, cpuLentMs, threadRaises } = ledger.appendStats();
  if (threadPriority === null) return '';
  const raised = threadRaises > 0 ? `, raised out of idle priority ${threadRaises} times while starved` : '';
  return ` (append thread: ${threadPriority} priority, ${thread} batches, ${inline} handed back, ${cpuLends} CPU loans of ${cpuLentMs} ms in all${raised})`;
}

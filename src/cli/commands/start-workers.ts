import cluster, { type Worker } from 'node:cluster';
import type { TokenmeterConfig } from '../../config/config-schema.js';
import { openLedger } from '../../store/open-ledger.js';
import { startAutoPrune } from './auto-prune.js';

/** Message a worker sends the primary once its server listens. */
export interface WorkerListening {
  kind: 'tokenmeter:listening';
  url: string;
}

/** Ledger location of a config, for the primary's own connection. */
export function ledgerLocation(config: TokenmeterConfig): { db?: string; databaseUrl?: string } {
  return config.store.kind === 'postgres' ? { databaseUrl: config.store.url } : { db: config.store.path };
}

const RESTART_DELAY_MS = 1000;

/**
 * The primary of `tokenmeter start --workers N`: migrates the ledger once, forks N workers that share
 * the port (node:cluster hands connections out round-robin), prints the listening line when all are up,
 * restarts a worker that dies, and on SIGTERM/SIGINT asks every worker to drain and flush its own
 * LedgerWriter, exiting when all have (0 if all exited cleanly).
 */
export async function runPrimary(config: TokenmeterConfig, workers: number): Promise<void> {
  const write = (message: string): void => void process.stderr.write(`tokenmeter: ${message}\n`);
  // One migration up front: a schema too new (or unreachable database) fails here, not N times.
  const ledger = await openLedger(ledgerLocation(config));
  const stopPrune = startAutoPrune(config, ledger, write);
  if (!config.counters.redisUrl && (config.budgets.length > 0 || config.rateLimits.length > 0)) {
    write(`warning: ${workers} workers without --redis-url keep separate budget and rate-limit counters (each enforces its own share); use Redis to share them`);
  }
  let stopping = false;
  let failures = 0;
  const listening = new Set<number>();
  let announced = false;
  const fork = (): Worker => {
    const worker = cluster.fork({ TOKENMETER_WORKER: '1' });
    worker.on('message', (message: WorkerListening) => {
      if (message?.kind !== 'tokenmeter:listening') return;
      listening.add(worker.id);
      if (!announced && listening.size >= workers) {
        announced = true;
        process.stdout.write(`tokenmeter listening on ${message.url} (${workers} workers)\n`);
      }
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    if (stopping) {
      if (code !== 0) failures += 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        stopPrune();
        void ledger.close().finally(() => process.exit(failures === 0 ? 0 : 1));
      }
      return;
    }
    write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(() => { if (!stopping) fork(); }, RESTART_DELAY_MS).unref();
  });
  for (let i = 0; i < workers; i++) fork();
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    write(`${signal} received, draining ${workers} workers and flushing their ledger writers`);
    const alive = Object.values(cluster.workers ?? {});
    if (alive.length === 0) void ledger.close().finally(() => process.exit(0));
    for (const worker of alive) worker?.process.kill('SIGTERM');
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

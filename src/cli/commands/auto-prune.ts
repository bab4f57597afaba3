import type { TokenmeterConfig } from '../../config/config-schema.js';
import type { Ledger } from '../../store/ledger.js';
import { maintenanceOf } from '../../store/rollup-maintenance.js';

const DAY_MS = 86_400_000;

/**
 * Prunes the ledger on a timer when `retention` sets rawDays or rollupDays (the first run a minute
 * after start). Deletes run in chunks, so a gateway sharing the process keeps serving. Returns a stop
 * function; the timer never keeps the process alive. Several replicas pruning at once is harmless.
 */
export function startAutoPrune(config: TokenmeterConfig, ledger: Ledger, log: (message: string) => void): () => void {
  const { rawDays, rollupDays, pruneEveryMinutes } = config.retention;
  const maintenance = maintenanceOf(ledger);
  if ((rawDays === undefined && rollupDays === undefined) || pruneEveryMinutes === 0 || !maintenance) return () => {};
  let running = false;
  const prune = (): void => {
    if (running) return;
    running = true;
    const now = Date.now();
    maintenance.prune({
      rawBefore: rawDays === undefined ? undefined : now - rawDays * DAY_MS,
      rollupsBefore: rollupDays === undefined ? undefined : now - rollupDays * DAY_MS,
    }).then(
      (result) => { if (result.events + result.rollupRows > 0) log(`pruned ${result.events} raw events and ${result.rollupRows} rollup rows past retention`); },
      (error) => log(`pruning failed (will retry): ${(error as Error)?.message ?? error}`),
    ).finally(() => { running = false; });
  };
  const first = setTimeout(prune, 60_000);
  const every = setInterval(prune, pruneEveryMinutes * 60_000);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { AppendWorkerData, AppendWorkerReply, AppendWorkerRequest } from './sqlite-append-thread.js';
import { FINISHED, STEPS } from './append-cpu-lender.js';
import { SqliteLedger } from './sqlite-ledger.js';
import { decodeEventRow, EVENT_COLUMNS } from './sqlite-row-codec.js';
import type { UsageEvent } from '../../core/usage-event.js';

// Worker side of SqliteAppendThread: one connection to the ledger file, batches applied in arrival order.

/**
 * Where SCHED_IDLE cannot be set (see lowerThreadPriority): nice 5, weight 335 vs the event loop's 1024. On a
 * saturated CPU the writer then gets ~25 % of it on its own; nice 10 fell behind at 8k calls/s on one core.
 */
const FALLBACK_NICE = 5;
const port = parentPort!;
const { file, options, progress } = workerData as AppendWorkerData;
const progressCells = new Int32Array(progress);
/** Tells the caller's CpuLender that one more step is done. */
const reportProgress = () => {
  Atomics.add(progressCells, STEPS, 1);
  Atomics.notify(progressCells, STEPS);
};
/** After the reply is posted: a lender woken by this stops lending, and this thread may get no CPU for a while. */
const reportFinished = (seq: number) => {
  Atomics.store(progressCells, FINISHED, seq);
  reportProgress();
};
// Opening (and migrating) at the normal priority, so a thread started on a saturated CPU gets going quickly.
const ledger = SqliteLedger.open(file, { ...options, appendThread: false, afterStatement: reportProgress });
lowerThreadPriority();

/**
 * The batch whose last part has not arrived yet. Batches are handed over one after another, so a part of a new batch
 * means the one before was abandoned (its hand-over failed on the caller's side, which rejected it): it is dropped.
 */
let arriving: { seq: number; events: UsageEvent[] } | null = null;

port.on('message', (request: AppendWorkerRequest) => {
  if (request.kind === 'close') {
    void ledger.close().finally(() => {
      port.postMessage({ kind: 'closed' } satisfies AppendWorkerReply);
      port.close();
    });
    return;
  }
  if (arriving?.seq !== request.seq) arriving = { seq: request.seq, events: [] };
  const { events } = arriving;
  for (let at = 0; at < request.rows.length; at += EVENT_COLUMNS.length) events.push(decodeEventRow(request.rows.slice(at, at + EVENT_COLUMNS.length)));
  if (!request.last) return;
  arriving = null;
  ledger.append(events).then(
    () => {
      port.postMessage({ kind: 'appended', seq: request.seq } satisfies AppendWorkerReply);
      reportFinished(request.seq);
    },
    (error: Error & { code?: string }) => {
      port.postMessage({
        kind: 'failed',
        seq: request.seq,
        error: { name: error?.name ?? 'Error', message: String(error?.message ?? error), code: typeof error?.code === 'string' ? error.code : undefined },
      } satisfies AppendWorkerReply);
      reportFinished(request.seq);
    },
  );
});

/**
 * Linux scheduling is per thread: this one yields to the event loop. Nice 5 here (immediate, and what stays where
 * SCHED_IDLE cannot be set); the caller's thread then sets SCHED_IDLE (AppendThreadScheduling), and owns every later
 * change: this thread, once idle, may not run for seconds beside a busy process, so it reports its id now.
 */
function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) throw new Error('no thread id');
    setPriority(tid, FALLBACK_NICE);
    port.postMessage({ kind: 'thread', tid } satisfies AppendWorkerReply);
  } catch {
    port.postMessage({ kind: 'priority', priority: 'default' } satisfies AppendWorkerReply);
  }
}

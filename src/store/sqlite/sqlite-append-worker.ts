import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { AppendWorkerData, AppendWorkerReply, AppendWorkerRequest } from './sqlite-append-thread.js';
import { SqliteLedger } from './sqlite-ledger.js';

// Worker side of SqliteAppendThread: one connection to the ledger file, batches applied in arrival order.

/**
 * Nice 10 (weight 110 vs the event loop's 1024): when the writer shares a CPU with the event loop, a woken
 * request handler preempts it, so ledger writes fill idle time instead of delaying responses; under full load it
 * still gets ~10 % of the CPU, several times what ~7k events/s need (~10 µs each). Nice 5 let writes delay more
 * requests (higher p99); nice 15+ could starve the writer on a saturated CPU (an unprivileged thread cannot raise
 * its priority back).
 */
const APPEND_THREAD_NICE = 10;
const port = parentPort!;
const { file, options } = workerData as AppendWorkerData;
lowerThreadPriority(APPEND_THREAD_NICE);
const ledger = SqliteLedger.open(file, { ...options, appendThread: false });

port.on('message', (request: AppendWorkerRequest) => {
  if (request.kind === 'close') {
    void ledger.close().finally(() => {
      port.postMessage({ kind: 'closed' } satisfies AppendWorkerReply);
      port.close();
    });
    return;
  }
  ledger.append(request.events).then(
    () => port.postMessage({ kind: 'appended', seq: request.seq } satisfies AppendWorkerReply),
    (error: Error & { code?: string }) =>
      port.postMessage({
        kind: 'failed',
        seq: request.seq,
        error: { name: error?.name ?? 'Error', message: String(error?.message ?? error), code: typeof error?.code === 'string' ? error.code : undefined },
      } satisfies AppendWorkerReply),
  );
});

/**
 * Linux nice is per thread: give this one a lower priority than the event loop, so when both share a CPU a
 * woken writer does not preempt request handling (it still gets its share, and all idle time). Best effort.
 */
function lowerThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not permitted: run at the process priority.
  }
}

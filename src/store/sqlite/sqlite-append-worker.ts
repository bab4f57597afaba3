import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { AppendWorkerData, AppendWorkerReply, AppendWorkerRequest } from './sqlite-append-thread.js';
import { SqliteLedger } from './sqlite-ledger.js';
import { decodeEventRow, EVENT_COLUMNS } from './sqlite-row-codec.js';
import type { UsageEvent } from '../../core/usage-event.js';

// Worker side of SqliteAppendThread: one connection to the ledger file, batches applied in arrival order.

/**
 * Nice 5 (weight 335 vs the event loop's 1024): when the writer shares a CPU with the event loop, a woken request
 * handler usually preempts it, so ledger writes mostly fill idle time; on a saturated CPU the writer still gets
 * ~25 % of it, ~2.5x what ~8k events/s need (~12 µs each). Measured on one core: nice 10 fell behind at 8k
 * calls/s (36k events queued after 15 s; peak RSS 232 vs 219 MiB), nice 0 added ~0.2 ms p99 at one connection. An unprivileged
 * thread cannot raise its priority again, so the level is fixed.
 */
const APPEND_THREAD_NICE = 5;
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
  const events: UsageEvent[] = [];
  for (let at = 0; at < request.rows.length; at += EVENT_COLUMNS.length) events.push(decodeEventRow(request.rows.slice(at, at + EVENT_COLUMNS.length)));
  ledger.append(events).then(
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

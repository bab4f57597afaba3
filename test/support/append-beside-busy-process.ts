/**
 * Run by the append-thread test pinned to one CPU beside a busy process: opens a SQLite ledger (append thread on),
 * waits until the thread reports its priority, then appends BATCHES batches of EVENTS events one after another, with
 * this event loop idle in between. Prints one JSON line: how long the appends took, the thread's stats, rows stored,
 * and how many of this process's threads run at SCHED_IDLE right after the appends and 2.6 s later.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { makeEvent } from './make-event.js';
import { SCHED_IDLE, threadSchedules } from './thread-schedules.js';

const idleThreads = () => threadSchedules().filter((thread) => thread.policy === SCHED_IDLE).length;

const [dir, batches = '10', events = '50'] = process.argv.slice(2);
const ledger = SqliteLedger.open(join(dir!, 'ledger.db'));
ledger.prepareForAppends();
while (ledger.appendStats().threadPriority === 'unknown') await delay(10);
const started = performance.now();
for (let b = 0; b < Number(batches); b++) {
  await ledger.append(Array.from({ length: Number(events) }, () => makeEvent()));
}
const ms = Math.round(performance.now() - started);
const stats = ledger.appendStats();
const idleAfter = idleThreads();
await delay(2_600);
const idleLater = idleThreads();
const stored = (ledger.db.prepare('SELECT COUNT(*) AS n FROM usage_events').get() as { n: number }).n;
const closing = performance.now();
await ledger.close();
const closeMs = Math.round(performance.now() - closing);
process.stdout.write(`${JSON.stringify({ ms, stored, ...stats, idleAfter, idleLater, closeMs })}\n`);

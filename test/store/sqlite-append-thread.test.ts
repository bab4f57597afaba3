import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UsageEvent } from '../../src/core/usage-event.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { makeEvent } from '../support/make-event.js';
import { SCHED_IDLE, threadSchedules } from '../support/thread-schedules.js';

const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

function tempFile(): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-append-thread-'));
  return { file: join(dir, 'ledger.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const batchOf = (n: number, ts = 1_700_000_000_000): UsageEvent[] => Array.from({ length: n }, (_, i) => makeEvent({ ts: ts + i }));

/** Runs an ES module script with node, optionally pinned to some CPUs; resolves with its stdout. */
function runScript(script: string, cpus?: string): Promise<string> {
  const node = [process.execPath, '--input-type=module', '-e', script];
  const [command, ...args] = cpus === undefined ? node : ['taskset', '-c', cpus, ...node];
  return new Promise<string>((resolvePromise, reject) => {
    execFile(command!, args, { timeout: 60_000 }, (error, out, err) => {
      if (error) reject(new Error(`${error.message}\n${err}`));
      else resolvePromise(out);
    });
  });
}

/** A dist/ module's file URL as a string literal for a script's import. */
const dist = (p: string) => JSON.stringify(pathToFileURL(resolve('dist', p)).href);

/**
 * A script whose event loop never idles (`turnMs` of work per macrotask, as on a saturated core) for `ms` while a
 * LedgerWriter appends `perTurn` events per turn through the append thread; prints what was enqueued, stored and counted.
 */
function busyLoopScript(file: string, ms: number, { warmUp = true, turnMs = 1, perTurn = 2 }: BusyLoopShape): string {
  return `
    import { SqliteLedger } from ${dist('src/store/sqlite/sqlite-ledger.js')};
    import { LedgerWriter } from ${dist('src/store/ledger-writer.js')};
    import { makeEvent } from ${dist('test/support/make-event.js')};
    const ledger = SqliteLedger.open(${JSON.stringify(file)}, { appendThread: true });
    const writer = new LedgerWriter(ledger, { maxBatch: 64, flushIntervalMs: 20 });
    let enqueued = 0;
    if (${warmUp}) {
      writer.enqueue(makeEvent());
      enqueued++;
      await writer.flush();
      while (ledger.appendStats().threadPriority === 'unknown') await new Promise((r) => setTimeout(r, 10));
    }
    const end = Date.now() + ${ms};
    let maxDepth = 0;
    await new Promise((done) => {
      const turn = () => {
        const until = performance.now() + ${turnMs};
        while (performance.now() < until);
        for (let i = 0; i < ${perTurn}; i++) writer.enqueue(makeEvent());
        enqueued += ${perTurn};
        maxDepth = Math.max(maxDepth, writer.stats().queueDepth);
        if (Date.now() < end) setImmediate(turn); else done();
      };
      turn();
    });
    const during = ledger.appendStats();
    await writer.close();
    await ledger.close();
    const check = SqliteLedger.open(${JSON.stringify(file)}, { appendThread: false });
    console.log(JSON.stringify({ enqueued, maxDepth, during, stored: await check.count({ since: 0, until: Number.MAX_SAFE_INTEGER }) }));
    await check.close();`;
}

interface BusyLoopResult {
  enqueued: number;
  maxDepth: number;
  stored: number;
  during: { thread: number; inline: number; threadPriority: string; cpuLends: number };
}

/** The busy loop's shape: start the thread before the loop (warmUp), ms of work per turn, events enqueued per turn. */
interface BusyLoopShape {
  warmUp?: boolean;
  turnMs?: number;
  perTurn?: number;
}

/** Runs busyLoopScript in a child process pinned to `cpus` and parses what it printed. */
async function runBusyLoop(file: string, ms: number, cpus: string, shape: BusyLoopShape = {}): Promise<BusyLoopResult> {
  const out = await runScript(busyLoopScript(file, ms, shape), cpus);
  return JSON.parse(out.trim().split('\n').pop()!) as BusyLoopResult;
}

/** Timer ticks (every `everyMs`) that fired while `body` ran: zero means the event loop was blocked throughout. */
async function ticksDuring(body: () => Promise<void>, everyMs = 5): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, everyMs);
  try {
    await body();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

test('append thread: appends commit in call order and are visible to this thread once awaited', async () => {
  const { file, cleanup } = tempFile();
  const ledger = SqliteLedger.open(file, { appendThread: true });
  try {
    const first = batchOf(3, 1_000);
    const second = batchOf(2, 2_000);
    // Not awaited in between: the worker must still apply them in order (ids are unique, ts ordered).
    await Promise.all([ledger.append(first), ledger.append(second), ledger.append([])]);
    assert.equal(await ledger.count(all), 5);
    const ids: string[] = [];
    for await (const event of ledger.events(all)) ids.push(event.id);
    assert.deepEqual(ids, [...first, ...second].map((e) => e.id));
    // INSERT OR IGNORE still holds across the thread boundary.
    await ledger.append(first);
    assert.equal(await ledger.count(all), 5);
  } finally {
    await ledger.close();
    cleanup();
  }
});

test('append thread: a failing batch rejects with the error and the next batch still goes through', async () => {
  const { file, cleanup } = tempFile();
  const ledger = SqliteLedger.open(file, { appendThread: true });
  try {
    const broken = { ...makeEvent(), usage: undefined } as unknown as UsageEvent;
    await assert.rejects(ledger.append([broken]), (error: Error) => error instanceof Error && error.message.length > 0);
    await ledger.append(batchOf(2));
    assert.equal(await ledger.count(all), 2, 'the failed transaction left nothing behind');
  } finally {
    await ledger.close();
    cleanup();
  }
});

test('append thread: a batch whose hand-over fails after its first part leaves nothing behind, and the next batch is stored alone', async () => {
  const { file, cleanup } = tempFile();
  const ledger = SqliteLedger.open(file, { appendThread: true });
  try {
    // Parts of 16 events: the first part reaches the worker, encoding the 18th event throws.
    const unencodable = makeEvent({ attribution: { tags: { toJSON() { throw new Error('unencodable tags'); } } as unknown as Record<string, string> } });
    const abandoned = [...batchOf(17, 1_000), unencodable, ...batchOf(2, 3_000)];
    await assert.rejects(ledger.append(abandoned), /unencodable tags/);
    const next = batchOf(5, 5_000);
    await ledger.append(next);
    const ids: string[] = [];
    for await (const event of ledger.events(all)) ids.push(event.id);
    assert.deepEqual(ids, next.map((e) => e.id), 'the abandoned part is neither written nor merged into the next batch');
  } finally {
    await ledger.close();
    cleanup();
  }
});

test('append thread: close() waits for appends still in flight; appends after close reject', async () => {
  const { file, cleanup } = tempFile();
  const ledger = SqliteLedger.open(file, { appendThread: true });
  try {
    const pending = [ledger.append(batchOf(500, 1)), ledger.append(batchOf(500, 10_000)), ledger.append(batchOf(500, 20_000))];
    await ledger.close();
    await Promise.all(pending);
    await assert.rejects(ledger.append(batchOf(1)), /closed/);
    const reopened = SqliteLedger.open(file, { appendThread: false });
    assert.equal(await reopened.count(all), 1500);
    await reopened.close();
  } finally {
    cleanup();
  }
});

test('append thread: a big batch does not block the event loop (one in-thread transaction does)', async () => {
  const { file, cleanup } = tempFile();
  const threaded = SqliteLedger.open(file, { appendThread: true });
  const inline = SqliteLedger.open(`${file}-inline`, { appendThread: false, rowsPerTransaction: 0 });
  try {
    await threaded.append(batchOf(1)); // start the worker outside the measurement
    const events = batchOf(20_000, 5_000_000);
    const blockedTicks = await ticksDuring(() => inline.append(events));
    const freeTicks = await ticksDuring(() => threaded.append(events));
    assert.equal(blockedTicks, 0, 'in-thread SQLite work holds the event loop for the whole batch');
    assert.ok(freeTicks >= 2, `timers kept firing during the threaded append (${freeTicks} ticks)`);
    assert.equal(await threaded.count(all), 20_001);
  } finally {
    await threaded.close();
    await inline.close();
    cleanup();
  }
});

test('append thread: an idle worker never keeps the process alive, and an unclosed ledger loses no awaited append', async () => {
  const { file, cleanup } = tempFile();
  try {
    const script = `
      import { SqliteLedger } from ${dist('src/store/sqlite/sqlite-ledger.js')};
      import { makeEvent } from ${dist('test/support/make-event.js')};
      const ledger = SqliteLedger.open(${JSON.stringify(file)}, { appendThread: true });
      await ledger.append(Array.from({ length: 10 }, () => makeEvent()));
      console.log('appended');`;
    const started = Date.now();
    const stdout = await new Promise<string>((resolvePromise, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 }, (error, out) => {
        if (error) reject(error);
        else resolvePromise(out);
      });
    });
    assert.equal(stdout.trim(), 'appended');
    assert.ok(Date.now() - started < 10_000, 'exited without close()');
    const ledger = SqliteLedger.open(file, { appendThread: false });
    assert.equal(await ledger.count(all), 10);
    await ledger.close();
  } finally {
    cleanup();
  }
});

test('append thread: if the worker dies, its pending appends reject and the next append starts a new one', async () => {
  const { file, cleanup } = tempFile();
  const ledger = SqliteLedger.open(file, { appendThread: true });
  try {
    await ledger.append(batchOf(1));
    // Reach the private worker to simulate a crash (OOM, native fault) while a batch is in flight.
    const thread = (ledger as unknown as { appendThread: { worker: { terminate(): Promise<number> } } }).appendThread;
    const inFlight = ledger.append(batchOf(5_000, 9_000_000));
    void thread.worker.terminate();
    await assert.rejects(inFlight, /exited|terminated/);
    await ledger.append(batchOf(2, 20_000_000));
    const stored = await ledger.count(all);
    assert.ok(stored === 3 || stored === 5_003, `either the batch committed before the crash or not at all (${stored})`);
  } finally {
    await ledger.close();
    cleanup();
  }
});

test("append thread: ':memory:' ledgers append in-thread (a worker could not see the database)", async () => {
  const ledger = SqliteLedger.open(':memory:');
  try {
    await ledger.append(batchOf(3));
    assert.equal(await ledger.count(all), 3);
  } finally {
    await ledger.close();
  }
});

test('append thread: when the thread lags, the next batch is written on the caller\'s thread; every event is stored once', async () => {
  const { file, cleanup } = tempFile();
  // Any thread append counts as lagging here, so batches alternate between the thread and this thread.
  const ledger = SqliteLedger.open(file, { appendThread: true, threadLagMs: 0 });
  try {
    for (let i = 0; i < 6; i++) await ledger.append(batchOf(50, 1_000_000 + i * 1_000));
    const { thread, inline } = ledger.appendStats();
    assert.deepEqual({ thread, inline }, { thread: 3, inline: 3 });
    assert.equal(await ledger.count(all), 300);
  } finally {
    await ledger.close();
    cleanup();
  }
  const second = tempFile();
  const calm = SqliteLedger.open(second.file, { appendThread: true, threadLagMs: 10_000 });
  try {
    for (let i = 0; i < 3; i++) await calm.append(batchOf(10, 2_000_000 + i * 100));
    const { thread, inline } = calm.appendStats();
    assert.deepEqual({ thread, inline }, { thread: 3, inline: 0 }, 'a thread that keeps up writes everything');
  } finally {
    await calm.close();
    second.cleanup();
  }
});

test('append thread: on a saturated single core the idle-priority thread gets CPU lent by the event loop and keeps up', async () => {
  const { file, cleanup } = tempFile();
  try {
    const result = await runBusyLoop(file, 1500, '0');
    assert.equal(result.stored, result.enqueued, 'every event stored once');
    assert.equal(result.during.inline, 0, `the thread never lagged enough to hand a batch back (${JSON.stringify(result)})`);
    assert.ok(result.during.thread >= 10, `batches kept committing during the busy loop (${JSON.stringify(result)})`);
    assert.ok(result.maxDepth < 1_000, `the queue stayed short (${JSON.stringify(result)})`);
    // At SCHED_IDLE the thread gets no CPU of its own here; at nice 5 it gets a share and may need no loan.
    if (result.during.threadPriority === 'idle') assert.ok(result.during.cpuLends > 0, JSON.stringify(result));
  } finally {
    cleanup();
  }
});

test('append thread: a writer falling behind on a saturated single core (long turns, many events each) catches up', async () => {
  const { file, cleanup } = tempFile();
  try {
    // ~6,000 events/s in 5 ms turns, as at 64 connections. Parts posted a turn apart (and 1 ms loans) capped the
    // writer below that: the queue reached 6,300-6,400 events in 2 s. Batches with a backlog cross whole and get
    // longer loans: 640-670.
    const result = await runBusyLoop(file, 2000, '0', { turnMs: 5, perTurn: 30 });
    assert.equal(result.stored, result.enqueued, 'every event stored once');
    assert.equal(result.during.inline, 0, `the thread never lagged enough to hand a batch back (${JSON.stringify(result)})`);
    assert.ok(result.maxDepth < 2_000, `the queue stayed short (${JSON.stringify(result)})`);
  } finally {
    cleanup();
  }
});

test('append thread: a thread started on an already saturated single core gets going and keeps up', async () => {
  const { file, cleanup } = tempFile();
  try {
    const result = await runBusyLoop(file, 1500, '0', { warmUp: false });
    assert.equal(result.stored, result.enqueued, 'every event stored once');
    assert.ok(result.during.thread >= 10, `batches committed during the busy loop (${JSON.stringify(result)})`);
    assert.ok(result.maxDepth < 1_000, `the queue stayed short (${JSON.stringify(result)})`);
  } finally {
    cleanup();
  }
});

test('append thread: a thread running on another CPU progresses on its own and is rarely lent CPU', async () => {
  const one = tempFile();
  const two = tempFile();
  try {
    const sameCpu = await runBusyLoop(one.file, 1000, '0');
    const ownCpu = await runBusyLoop(two.file, 1000, '0,1');
    assert.equal(ownCpu.stored, ownCpu.enqueued);
    assert.equal(ownCpu.during.inline, 0);
    const loans = `loans on two CPUs ${ownCpu.during.cpuLends}, on one ${sameCpu.during.cpuLends}`;
    // Measured at SCHED_IDLE: ~80 loans a second on one CPU, 2-7 on two (the scheduler briefly placing the thread
    // beside the loop). A nice-5 thread gets CPU of its own even on one CPU, so it needs fewer loans there.
    if (sameCpu.during.threadPriority === 'idle') assert.ok(ownCpu.during.cpuLends * 5 < sameCpu.during.cpuLends, loans);
    else assert.ok(ownCpu.during.cpuLends <= sameCpu.during.cpuLends + 5, loans);
  } finally {
    one.cleanup();
    two.cleanup();
  }
});

test('append thread: prepareForAppends starts the thread; it runs at SCHED_IDLE where chrt can set it, else at nice 5', async () => {
  const { file, cleanup } = tempFile();
  const ledger = SqliteLedger.open(file, { appendThread: true });
  try {
    ledger.prepareForAppends(); // no append: the gateway starts the thread before it takes traffic
    const deadline = Date.now() + 10_000;
    while (ledger.appendStats().threadPriority === 'unknown' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const priority = ledger.appendStats().threadPriority;
    if (process.platform !== 'linux') {
      assert.equal(priority, 'default');
      return;
    }
    const threads = threadSchedules();
    if (commandExists('chrt')) {
      assert.equal(priority, 'idle');
      assert.equal(threads.filter((t) => t.policy === SCHED_IDLE).length, 1, 'one thread (the writer) at SCHED_IDLE');
    } else {
      assert.equal(priority, 'nice');
      assert.equal(threads.filter((t) => t.nice === 5).length, 1, 'one thread (the writer) at nice 5');
    }
    assert.ok(threads.some((t) => t.policy === 0 && t.nice === 0), 'the event loop keeps the normal priority');
  } finally {
    await ledger.close();
    cleanup();
  }
});

test('append thread: starved by another process on its CPU, it is raised out of SCHED_IDLE for a while, then goes back', async (t) => {
  if (process.platform !== 'linux' || !commandExists('chrt') || !commandExists('taskset')) {
    t.diagnostic('needs Linux with chrt and taskset: the thread is not at SCHED_IDLE here, so there is nothing to raise');
    return;
  }
  // Leaving SCHED_IDLE at the writer's nice 5 needs CAP_SYS_NICE or RLIMIT_NICE >= 15: probe it the way the gateway will.
  const mayRaise = await new Promise<boolean>((done) => execFile('nice', ['-n', '5', 'chrt', '--idle', '0', 'sh', '-c', 'chrt --other --pid 0 $$'], (error) => done(error === null)));
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-starved-'));
  const busy = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const out = await new Promise<string>((done, reject) => execFile('taskset', ['-c', '0', process.execPath, 'dist/test/support/append-beside-busy-process.js', dir, '10', '50'], { timeout: 90_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : done(stdout))));
    const run = JSON.parse(out) as { ms: number; stored: number; threadPriority: string; threadRaises: number; idleAfter: number; idleLater: number; closeMs: number };
    t.diagnostic(`10 awaited 50-event appends beside a busy process on the same CPU: ${run.ms} ms, ${run.threadRaises} raise(s); close ${run.closeMs} ms`);
    assert.equal(run.stored, 500);
    assert.equal(run.threadPriority, 'idle');
    if (!mayRaise) {
      assert.equal(run.threadRaises, 0, 'chrt is refused here: the thread stays at SCHED_IDLE');
      assert.equal(run.idleLater, 1);
      return;
    }
    // Left at SCHED_IDLE (weight 3 vs 1024) this took 7.1-8.2 s; raised, 0.53-1.93 s.
    assert.ok(run.threadRaises >= 1, 'the starved thread was raised');
    assert.ok(run.ms < 5_000, `appends finished in ${run.ms} ms`);
    assert.equal(run.idleAfter, 0, 'still raised right after the appends (held 2 s from the raise)');
    assert.equal(run.idleLater, 1, 'back at SCHED_IDLE once no batch was pending for the hold time');
    // The close (a WAL checkpoint) came after that, at SCHED_IDLE again: 4.5-4.7 s unraised, 0.32-1.35 s raised.
    assert.ok(run.closeMs < 3_000, `closed in ${run.closeMs} ms`);
  } finally {
    busy.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

function commandExists(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, command)));
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UsageEvent } from '../../src/core/usage-event.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { makeEvent } from '../support/make-event.js';

const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

function tempFile(): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-append-thread-'));
  return { file: join(dir, 'ledger.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const batchOf = (n: number, ts = 1_700_000_000_000): UsageEvent[] => Array.from({ length: n }, (_, i) => makeEvent({ ts: ts + i }));

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
    const dist = (p: string) => pathToFileURL(resolve('dist', p)).href;
    const script = `
      import { SqliteLedger } from ${JSON.stringify(dist('src/store/sqlite/sqlite-ledger.js'))};
      import { makeEvent } from ${JSON.stringify(dist('test/support/make-event.js'))};
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
    assert.deepEqual(ledger.appendStats(), { thread: 3, inline: 3 });
    assert.equal(await ledger.count(all), 300);
  } finally {
    await ledger.close();
    cleanup();
  }
  const second = tempFile();
  const calm = SqliteLedger.open(second.file, { appendThread: true, threadLagMs: 10_000 });
  try {
    for (let i = 0; i < 3; i++) await calm.append(batchOf(10, 2_000_000 + i * 100));
    assert.deepEqual(calm.appendStats(), { thread: 3, inline: 0 }, 'a thread that keeps up writes everything');
  } finally {
    await calm.close();
    second.cleanup();
  }
});

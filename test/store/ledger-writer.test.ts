import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { UsageEvent } from '../../src/core/usage-event.js';
import type { AppendOptions, Ledger, ReportQuery, TimeRange } from '../../src/store/ledger.js';
import { DEFAULT_MAX_BATCH, LedgerWriter } from '../../src/store/ledger-writer.js';
import { MemoryLedger } from '../../src/store/memory/memory-ledger.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { makeEvent } from '../support/make-event.js';

const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

/** A real ledger wrapped to record batch sizes, fail the first `failures` appends, or hold appends until released. */
class InstrumentedLedger implements Ledger {
  readonly kind = 'instrumented';
  readonly batchSizes: number[] = [];
  /** The backlog each append was told of. */
  readonly backlogs: Array<number | undefined> = [];
  private gate: Promise<void> | null = null;
  private release: (() => void) | null = null;
  constructor(readonly inner: Ledger = new MemoryLedger(), public failures = 0) {}
  hold(): void { this.gate = new Promise((resolve) => { this.release = resolve; }); }
  open(): void { this.release?.(); this.gate = null; }
  async append(events: readonly UsageEvent[], options?: AppendOptions): Promise<void> {
    this.backlogs.push(options?.backlog);
    if (this.gate) await this.gate;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('disk on fire');
    }
    this.batchSizes.push(events.length);
    await this.inner.append(events);
  }
  report(query: ReportQuery) { return this.inner.report(query); }
  unpriced(range: TimeRange) { return this.inner.unpriced(range); }
  events(range: TimeRange) { return this.inner.events(range); }
  count(range: TimeRange) { return this.inner.count(range); }
  close() { return this.inner.close(); }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(2);
  }
}

test('writer: enqueue does no I/O; the timer writes batches of at most maxBatch in order', async () => {
  const ledger = new InstrumentedLedger();
  const writer = new LedgerWriter(ledger, { maxBatch: 100, flushIntervalMs: 20 });
  const events = Array.from({ length: 250 }, (_, i) => makeEvent({ ts: 1_000 + i }));
  for (const event of events) assert.equal(writer.enqueue(event), true);
  assert.deepEqual(ledger.batchSizes, [], 'nothing written synchronously');
  assert.equal(writer.stats().queueDepth, 250);
  await until(() => writer.stats().written === 250);
  assert.deepEqual(ledger.batchSizes, [100, 100, 50]);
  assert.deepEqual(ledger.backlogs, [150, 50, 0], 'each append is told how many events wait behind it');
  assert.deepEqual((await collectIds(ledger)), events.map((e) => e.id));
  assert.deepEqual(writer.stats(), { enqueued: 250, written: 250, dropped: 0, failedWrites: 0, queueDepth: 0, batches: 3 });
  await writer.close();
});

test('writer: a lone event is written after flushIntervalMs without flush()', async () => {
  const ledger = new InstrumentedLedger();
  const writer = new LedgerWriter(ledger, { flushIntervalMs: 30 });
  const started = Date.now();
  writer.enqueue(makeEvent());
  await until(() => writer.stats().written === 1);
  assert.ok(Date.now() - started >= 25, 'waited for the interval to gather a batch');
  await writer.close();
});

test('writer: with a slow asynchronous ledger, events arriving during a write wait for the next interval instead of trickling out one by one', async () => {
  /** Each append takes ~2 ms, like a write on another thread or server. */
  class SlowLedger extends InstrumentedLedger {
    override async append(events: readonly UsageEvent[]): Promise<void> {
      await delay(2);
      return super.append(events);
    }
  }
  const ledger = new SlowLedger();
  const writer = new LedgerWriter(ledger, { flushIntervalMs: 40 });
  const deadline = Date.now() + 300;
  let sent = 0;
  while (Date.now() < deadline) {
    writer.enqueue(makeEvent());
    sent += 1;
    await delay(1);
  }
  await writer.close();
  assert.equal(await ledger.count(all), sent);
  // One batch per interval (about 300 / 42), not one per ~2 ms write.
  assert.ok(ledger.batchSizes.length <= 12, `batches: ${ledger.batchSizes.join(',')}`);
});

test('writer: close() after 50k enqueues loses nothing (real SQLite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-writer-'));
  const ledger = SqliteLedger.open(join(dir, 'ledger.db'));
  try {
    const writer = new LedgerWriter(ledger);
    for (let i = 0; i < 50_000; i++) writer.enqueue(makeEvent({ ts: 1_000_000 + i }));
    await writer.close();
    assert.equal(await ledger.count(all), 50_000);
    const stats = writer.stats();
    assert.equal(stats.written, 50_000);
    assert.equal(stats.queueDepth, 0);
    assert.equal(stats.batches, Math.ceil(50_000 / DEFAULT_MAX_BATCH), 'full batches of the default size');
    assert.equal(writer.enqueue(makeEvent()), false, 'a closed writer refuses events');
    assert.equal(writer.stats().dropped, 1);
  } finally {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writer: other work runs between consecutive batches (a ledger writing on this thread never holds the loop for a whole backlog)', async () => {
  const order: string[] = [];
  const ledger = SqliteLedger.open(':memory:'); // appends synchronously on this thread
  const append = ledger.append.bind(ledger);
  ledger.append = (events) => {
    order.push(`batch ${events.length}`);
    return append(events);
  };
  const writer = new LedgerWriter(ledger, { maxBatch: 50, flushIntervalMs: 10_000 });
  for (let i = 0; i < 200; i++) writer.enqueue(makeEvent({ ts: 1_000 + i }));
  setImmediate(() => order.push('immediate'));
  await writer.flush();
  assert.deepEqual(order, ['batch 50', 'immediate', 'batch 50', 'batch 50', 'batch 50']);
  assert.equal(await ledger.count(all), 200);
  await writer.close();
  await ledger.close();
});

test('writer: flush() writes everything queued so far', async () => {
  const ledger = new InstrumentedLedger();
  const writer = new LedgerWriter(ledger, { flushIntervalMs: 60_000, maxBatch: 7 });
  for (let i = 0; i < 30; i++) writer.enqueue(makeEvent());
  await writer.flush();
  assert.equal(await ledger.count(all), 30);
  assert.deepEqual(ledger.batchSizes, [7, 7, 7, 7, 2]);
  await writer.close();
});

test("writer: overflow 'drop' keeps maxQueue events and counts the rest", async () => {
  const ledger = new InstrumentedLedger();
  ledger.hold();
  const writer = new LedgerWriter(ledger, { maxQueue: 10, overflow: 'drop', flushIntervalMs: 5 });
  const accepted = Array.from({ length: 25 }, () => writer.enqueue(makeEvent()));
  assert.equal(accepted.filter(Boolean).length, 10);
  assert.deepEqual(accepted.slice(10), new Array(15).fill(false));
  assert.equal(writer.stats().dropped, 15);
  ledger.open();
  await writer.close();
  assert.equal(await ledger.count(all), 10);
  assert.deepEqual(writer.stats(), { enqueued: 10, written: 10, dropped: 15, failedWrites: 0, queueDepth: 0, batches: 1 });
});

test("writer: overflow 'flush' (default) keeps every event and writes at once instead of waiting for the timer", async () => {
  const ledger = new InstrumentedLedger();
  const writer = new LedgerWriter(ledger, { maxQueue: 10, flushIntervalMs: 60_000 });
  for (let i = 0; i < 25; i++) assert.equal(writer.enqueue(makeEvent()), true);
  await until(() => writer.stats().written === 25, 1000);
  assert.equal(writer.stats().dropped, 0);
  await writer.close();
  assert.equal(await ledger.count(all), 25);
});

test('writer: failed writes keep the batch and retry with backoff; nothing lost or doubled', async () => {
  const ledger = new InstrumentedLedger(new MemoryLedger(), 3);
  const errors: number[] = [];
  const writer = new LedgerWriter(ledger, { flushIntervalMs: 5, retryBaseMs: 5, onWriteError: (_e, size) => errors.push(size) });
  for (let i = 0; i < 40; i++) writer.enqueue(makeEvent());
  await until(() => writer.stats().written === 40);
  assert.equal(await ledger.count(all), 40);
  assert.deepEqual(errors, [40, 40, 40]);
  assert.equal(writer.stats().failedWrites, 3);
  await writer.close();
});

test('writer: flush() rejects after maxAttempts, keeps the events, and a later flush writes them', async () => {
  const ledger = new InstrumentedLedger(new MemoryLedger(), 5);
  const writer = new LedgerWriter(ledger, { flushIntervalMs: 60_000, maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 2 });
  for (let i = 0; i < 12; i++) writer.enqueue(makeEvent());
  await assert.rejects(writer.flush(), /disk on fire/);
  assert.equal(writer.stats().queueDepth, 12);
  await assert.rejects(writer.close(), /disk on fire/);
  writer.enqueue(makeEvent()); // still accepted: the writer is not closed until everything is written
  await writer.close();
  assert.equal(await ledger.count(all), 13);
  // The failed batch stayed sealed as it was; the late event went into the next one.
  assert.deepEqual(ledger.batchSizes, [12, 1]);
  assert.deepEqual(writer.stats(), { enqueued: 13, written: 13, dropped: 0, failedWrites: 5, queueDepth: 0, batches: 2 });
});

test('writer: events enqueued while close() is flushing are written too', async () => {
  const ledger = new InstrumentedLedger();
  ledger.hold();
  const writer = new LedgerWriter(ledger, { maxBatch: 5 });
  for (let i = 0; i < 5; i++) writer.enqueue(makeEvent());
  const closing = writer.close();
  await delay(5);
  for (let i = 0; i < 3; i++) assert.equal(writer.enqueue(makeEvent()), true);
  ledger.open();
  await closing;
  assert.equal(await ledger.count(all), 8);
});

test('writer: rejects invalid options by name', () => {
  assert.throws(() => new LedgerWriter(new MemoryLedger(), { maxBatch: 0 }), /maxBatch/);
  assert.throws(() => new LedgerWriter(new MemoryLedger(), { overflow: 'block' as never }), /overflow/);
});

const dist = (path: string): string => pathToFileURL(resolve('dist', path)).href;

function runChild(code: string): Promise<{ code: number | null; stdout: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { timeout: 10_000 }, (error, stdout) => {
      if (error && error.killed) reject(new Error('child process was kept alive'));
      else resolvePromise({ code: error ? (error.code as number) : 0, stdout, ms: Date.now() - started });
    });
  });
}

const childPrelude = `
  import { LedgerWriter } from ${JSON.stringify(dist('src/store/ledger-writer.js'))};
  import { MemoryLedger } from ${JSON.stringify(dist('src/store/memory/memory-ledger.js'))};
  import { makeEvent } from ${JSON.stringify(dist('test/support/make-event.js'))};
  class Flaky extends MemoryLedger {
    constructor(failures) { super(); this.failures = failures; }
    async append(events) { if (this.failures-- > 0) throw new Error('down'); return super.append(events); }
  }
`;

test('writer: its timers never keep a process alive (flush interval, background retry)', async () => {
  const idle = await runChild(`${childPrelude}
    const writer = new LedgerWriter(new MemoryLedger(), { flushIntervalMs: 60_000 });
    writer.enqueue(makeEvent());`);
  assert.equal(idle.code, 0);
  assert.ok(idle.ms < 5000, `exited in ${idle.ms} ms`);
  const retrying = await runChild(`${childPrelude}
    const writer = new LedgerWriter(new Flaky(1e9), { flushIntervalMs: 1, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    writer.enqueue(makeEvent());`);
  assert.equal(retrying.code, 0);
  assert.ok(retrying.ms < 5000, `exited in ${retrying.ms} ms`);
});

test('writer: an awaited close() keeps the process alive through retry backoff until written', async () => {
  const result = await runChild(`${childPrelude}
    const ledger = new Flaky(3);
    const writer = new LedgerWriter(ledger, { retryBaseMs: 100 });
    for (let i = 0; i < 10; i++) writer.enqueue(makeEvent());
    await writer.close();
    console.log(await ledger.count({ since: 0, until: Number.MAX_SAFE_INTEGER }));`);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), '10');
});

async function collectIds(ledger: Ledger): Promise<string[]> {
  const ids: string[] = [];
  for await (const event of ledger.events(all)) ids.push(event.id);
  return ids;
}

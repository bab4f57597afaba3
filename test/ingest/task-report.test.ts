import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { registerReportCommand } from '../../src/cli/commands/report-command.js';
import { picoToUsdNumber } from '../../src/core/money.js';
import type { UsageEvent } from '../../src/core/usage-event.js';
import { REPORT_DIMENSIONS, type Ledger, type TaskRollupRow } from '../../src/store/ledger.js';
import { MemoryLedger } from '../../src/store/memory/memory-ledger.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { outcomeStoreFor } from '../../src/store/open-outcome-store.js';
import type { OutcomeRecord } from '../../src/store/outcome-store.js';
import { taskRollup } from '../../src/store/task-rollup.js';
import { makeEvent } from '../support/make-event.js';

const NOW = Date.UTC(2026, 10, 8, 12);
const T = NOW - 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-task-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const call = (feature: string, task: string | null, extra: Parameters<typeof makeEvent>[0] = {}) =>
  makeEvent({ ts: T, ...extra, attribution: { feature, task, ...extra.attribution } });

/** support: T1 (2 calls, one a retry), T2, T3, T4 and one call outside tasks; summarizer: T1's hidden call and an unpriced one. */
const EVENTS: UsageEvent[] = [
  call('support', 'T1', { usage: { inputUncached: 1000, output: 100 } }),
  call('support', 'T1', { usage: { inputUncached: 1000, output: 300 }, attempt: 2, retryOf: 'x' }),
  call('support', 'T2', { usage: { inputUncached: 3000, output: 50 } }),
  call('support', 'T3', { usage: { inputUncached: 777, output: 1 } }),
  call('support', 'T4', { usage: { inputUncached: 10, output: 10 } }),
  call('support', null, { usage: { inputUncached: 5000, output: 0 } }),
  call('support', 'T2', { status: 499, errorType: 'client_disconnect', estimated: true, usage: { inputUncached: 400, output: 40 } }),
  call('summarizer', 'T1', { usage: { inputUncached: 200, output: 20 } }),
  call('summarizer', null, { cost: null, requestedModel: 'mystery', servedModel: null, pricedModel: null }),
  makeEvent({ ts: NOW - 30 * 86_400_000, attribution: { feature: 'support', task: 'OLD' } }),
];

const outcome = (id: string, task: string, success: boolean, ts: number, name = 'ticket_resolved'): OutcomeRecord =>
  ({ id, task, name, success, value: null, ts });
const OUTCOMES = [
  outcome('o1', 'T1', true, T + 10),
  outcome('o2', 'T2', false, T + 10),
  outcome('o3', 'T4', false, T + 10),
  outcome('o4', 'T4', true, T + 99), // a later correction decides
  outcome('o5', 'T3', true, T + 10, 'csat'), // another outcome name does not count
];

const engines: Array<[string, () => Promise<Ledger>]> = [
  ['memory', async () => new MemoryLedger()],
  ['sqlite', async () => SqliteLedger.open(join(dir, `ledger-${Math.random().toString(36).slice(2)}.db`))],
];

async function seeded(open: () => Promise<Ledger>): Promise<Ledger> {
  const ledger = await open();
  await ledger.append(EVENTS);
  await outcomeStoreFor(ledger).append(OUTCOMES);
  return ledger;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function report(ledger: Ledger, args: string[]): Promise<{ stdout: string; exitCode: number; stderr: string }> {
  const stdout = new Capture();
  let stderr = '';
  const program = new Command('tokenmeter').exitOverride().configureOutput({ writeOut: () => {}, writeErr: (s) => { stderr += s; } });
  // The command closes the ledger it opened; hand it a wrapper so the test keeps its ledger open.
  registerReportCommand(program, { stdout, now: () => NOW, openLedger: async () => Object.assign(Object.create(ledger), { close: async () => {} }) });
  try {
    await program.parseAsync(['report', ...args], { from: 'user' });
    return { stdout: stdout.text, exitCode: 0, stderr };
  } catch (error) {
    if (error instanceof CommanderError) return { stdout: stdout.text, exitCode: error.exitCode, stderr };
    throw error;
  }
}

const cost = (events: UsageEvent[]) => events.reduce((sum, e) => sum + BigInt(e.cost?.total ?? 0), 0n);
const usd = picoToUsdNumber;

for (const [engine, open] of engines) {
  test(`${engine}: report --by feature --per outcome:ticket_resolved joins outcomes exactly`, async () => {
    const ledger = await seeded(open);
    try {
      const { stdout, exitCode } = await report(ledger, ['--by', 'feature', '--per', 'outcome:ticket_resolved', '--json']);
      assert.equal(exitCode, 0);
      const rows = JSON.parse(stdout) as Array<Record<string, unknown>>;
      const support = rows.find((r) => r.key === 'support')!;
      const inSupport = EVENTS.slice(0, 7);
      const taskCost = cost(inSupport.filter((e) => e.attribution.task !== null));
      // Existing keys are kept...
      assert.equal(support.requests, 7);
      assert.equal(support.cost_usd, usd(cost(inSupport)));
      // ...and the outcome keys added.
      assert.equal(support.outcome, 'ticket_resolved');
      assert.equal(support.tasks, 4);
      assert.equal(support.succeeded_tasks, 2);
      assert.equal(support.failed_tasks, 1);
      assert.equal(support.no_outcome_tasks, 1);
      assert.equal(support.task_cost_usd, usd(taskCost));
      assert.equal(support.cost_per_success_usd, usd((taskCost * 2n + 2n) / 4n), 'task cost / 2 successes, rounded half up');
      const t2 = cost(inSupport.filter((e) => e.attribution.task === 'T2'));
      const noSuccess = t2 + cost(inSupport.filter((e) => e.attribution.task === 'T3' || e.attribution.task === null));
      assert.equal(support.failed_task_cost_usd, usd(t2));
      assert.equal(support.no_success_cost_usd, usd(noSuccess));
      assert.equal(support.no_success_share, Number((noSuccess * 2_000_000n + cost(inSupport)) / (2n * cost(inSupport))) / 1e6);
      assert.equal(support.calls_per_task, 1.5);
      assert.equal(support.retries_per_task, 0.25);
      const summarizer = rows.find((r) => r.key === 'summarizer')!;
      assert.equal(summarizer.tasks, 1);
      assert.equal(summarizer.succeeded_tasks, 1);
      assert.equal(summarizer.cost_usd, null, 'unpriced call keeps cost_usd null as before');
      assert.equal(summarizer.untasked_requests, 1);

      const table = await report(ledger, ['--by', 'feature', '--per', 'outcome:ticket_resolved']);
      assert.match(table.stdout, /Cost per "ticket_resolved" outcome by feature/);
      assert.match(table.stdout, /\$\/success/);
      const cells = (label: string) => table.stdout.split('\n').find((line) => line.includes(`│ ${label} `))!.split('│').map((c) => c.trim()).filter(Boolean);
      assert.deepEqual(cells('Total').slice(0, 4), ['Total', '4', '2', '1'], 'a task spanning two features is counted once in the total');
      assert.deepEqual(cells('support').slice(0, 4), ['support', '4', '2', '1']);
      assert.match(table.stdout, /1 task\(s\) have no "ticket_resolved" outcome yet/);
    } finally {
      await ledger.close();
    }
  });

  test(`${engine}: report --retries shows retries, retry rate and retry cost; --by task lists calls and retries per task`, async () => {
    const ledger = await seeded(open);
    try {
      const byFeature = JSON.parse((await report(ledger, ['--by', 'feature', '--retries', '--json'])).stdout) as Array<Record<string, unknown>>;
      const support = byFeature.find((r) => r.key === 'support')!;
      assert.equal(support.retries, 1);
      assert.equal(support.retry_rate, Math.round((1 / 7) * 10_000) / 10_000);
      assert.equal(support.retry_cost_usd, usd(BigInt(EVENTS[1]!.cost!.total)));
      assert.equal(support.error_cost_usd, usd(BigInt(EVENTS[6]!.cost!.total)), 'the cut stream billed tokens');
      const byTask = JSON.parse((await report(ledger, ['--by', 'task', '--retries', '--json'])).stdout) as Array<Record<string, unknown>>;
      const t1 = byTask.find((r) => r.key === 'T1')!;
      assert.equal(t1.requests, 3, 'calls of the task across features');
      assert.equal(t1.retries, 1);
      assert.equal(t1.calls_per_task, 3);
      const table = (await report(ledger, ['--by', 'model', '--retries'])).stdout;
      assert.match(table, /retry rate/);
      assert.match(table, /mystery/);
    } finally {
      await ledger.close();
    }
  });
}

test('a bad --per is a usage error (exit 2)', async () => {
  const ledger = new MemoryLedger();
  const result = await report(ledger, ['--per', 'revenue']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /expected outcome:NAME/);
});

test('--per on a ledger engine without an outcome store is an error, not an empty join', async () => {
  const memory = await seeded(engines[0]![1]);
  const engineWithoutOutcomes: Ledger = {
    kind: 'postgres', append: (e) => memory.append(e), report: (q) => memory.report(q), unpriced: (r) => memory.unpriced(r),
    events: (r) => memory.events(r), count: (r) => memory.count(r), close: async () => {},
  };
  const result = await report(engineWithoutOutcomes, ['--per', 'outcome:ticket_resolved']);
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /the postgres ledger does not store them yet/);
  const retries = await report(engineWithoutOutcomes, ['--retries', '--json']);
  assert.equal(retries.exitCode, 0, '--retries works on any engine (roll-up computed from events())');
  assert.equal((JSON.parse(retries.stdout) as Array<{ key: string; retries: number }>).find((r) => r.key === 'support')!.retries, 1);
  await memory.close();
});

const sortRows = (rows: TaskRollupRow[]) =>
  [...rows].sort((a, b) => JSON.stringify([a.key, a.task]).localeCompare(JSON.stringify([b.key, b.task])));

test('task roll-up: sqlite, memory and the events() fallback agree on every dimension', async () => {
  const memory = await seeded(engines[0]![1]);
  const sqlite = await seeded(engines[1]![1]);
  const fallback = Object.assign(Object.create(memory) as Ledger, { taskRollup: undefined });
  try {
    for (const by of REPORT_DIMENSIONS) {
      const range = { since: 0, until: NOW, by };
      const expected = sortRows(await taskRollup(memory, range));
      assert.deepEqual(sortRows(await taskRollup(sqlite, range)), expected, `sqlite by ${by}`);
      assert.deepEqual(sortRows(await taskRollup(fallback, range)), expected, `fallback by ${by}`);
    }
  } finally {
    await memory.close();
    await sqlite.close();
  }
});

for (const [engine, open] of engines) {
  test(`${engine}: existingIds and the outcome store (idempotent append, latest outcome decides)`, async () => {
    const ledger = await seeded(open);
    try {
      assert.deepEqual(await ledger.existingIds!([EVENTS[0]!.id, 'nope', EVENTS[3]!.id]), new Set([EVENTS[0]!.id, EVENTS[3]!.id]));
      const store = outcomeStoreFor(ledger);
      assert.deepEqual(await store.append([outcome('o1', 'T1', false, T), outcome('o9', 'T9', true, T)]), new Set(['o9']));
      const latest = await store.latestForTasks('ticket_resolved', ['T1', 'T2', 'T3', 'T4', 'T9', 'none']);
      assert.deepEqual([...latest].map(([task, o]) => [task, o.id, o.success]).sort(), [
        ['T1', 'o1', true], ['T2', 'o2', false], ['T4', 'o4', true], ['T9', 'o9', true],
      ]);
      assert.deepEqual((await store.forTask('T4')).map((o) => o.id), ['o3', 'o4']);
    } finally {
      await ledger.close();
    }
  });
}

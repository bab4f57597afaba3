import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageEvent } from '../../src/core/usage-event.js';
import type { Ledger } from '../../src/store/ledger.js';
import type { LedgerMaintenance } from '../../src/store/rollup-maintenance.js';
import { DAY_MS } from '../../src/store/rollup-accumulator.js';
import { makeEvent } from '../support/make-event.js';

/** A ledger with rollups, plus an engine-specific way to corrupt one stored rollup row. */
export interface RollupHarness {
  ledger: Ledger & LedgerMaintenance;
  /** Adds 1 to `requests` of the day row of dimension `tenant`, key `acme`, bucket `day`. */
  corrupt(day: number): Promise<void>;
  /** Bucket starts of the days that have day rows (dimension `*`), ascending. */
  daysWithDayRows(): Promise<number[]>;
  close(): Promise<void>;
}

export const D0 = Date.UTC(2026, 10, 1);
const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

/** Seeded events over 3 days, with repeats of earlier ids (retries of the same event) inside and across batches. */
export function rollupDataset(n: number, seed: number): { batches: UsageEvent[][]; unique: number } {
  let state = seed >>> 0;
  const rand = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(values: T[]): T => values[Math.floor(rand() * values.length)]!;
  const events = Array.from({ length: n }, () => makeEvent({
    ts: D0 + Math.floor(rand() * 3 * DAY_MS),
    provider: pick(['openai', 'anthropic']), endpoint: pick(['chat.completions', 'messages'] as const),
    servedModel: pick(['gpt-4o', null]), status: pick([200, 200, 429]), estimated: rand() < 0.1, cacheStatus: pick(['hit', 'miss', 'none'] as const),
    usage: { inputUncached: Math.floor(rand() ** 3 * 50_000), cacheRead: pick([0, 1024]), output: Math.floor(rand() * 500), webSearchRequests: pick([0, 0, 1]) },
    attribution: { feature: pick(['chat', 'search', null]), tenant: pick(['acme', 'globex', null]), team: pick(['core', null]),
      template: pick(['a@v1', null]), env: pick(['prod', '']) },
  }));
  for (const e of events) if (rand() < 0.1) e.cost = null;
  const batches: UsageEvent[][] = [];
  for (let i = 0; i < events.length; i += 150) {
    const batch = events.slice(i, i + 150);
    if (i > 0) batch.push(...events.slice(i - 20, i - 10)); // already stored
    batch.push(batch[0]!, batch[1]!); // repeated inside the batch
    batches.push(batch);
  }
  return { batches, unique: events.length };
}

/** Runs the rollup behaviour suite against one engine. */
export function runRollupContract(name: string, open: () => Promise<RollupHarness>): void {
  const withHarness = (title: string, body: (h: RollupHarness) => Promise<void>): void => {
    test(title, async () => {
      const harness = await open();
      try { await body(harness); } finally { await harness.close(); }
    });
  };

  describe(`Rollup contract: ${name}`, () => {
    withHarness('rollups equal a recomputation from raw events, duplicates counted once', async ({ ledger }) => {
      const { batches, unique } = rollupDataset(1200, 11);
      for (const batch of batches) await ledger.append(batch);
      assert.equal(await ledger.count(all), unique);
      const result = await ledger.checkRollups({ since: D0 - DAY_MS, until: D0 + 5 * DAY_MS });
      assert.deepEqual(result.mismatches, []);
      assert.equal(result.events, unique);
      assert.ok(result.rows > 200, `${result.rows} rollup rows compared`);
      assert.deepEqual(result.range, { since: D0 - DAY_MS, until: D0 + 5 * DAY_MS });
    });

    withHarness('check finds a corrupted row; rebuild repairs it', async (harness) => {
      const { ledger } = harness;
      await ledger.append(Array.from({ length: 40 }, (_, i) => makeEvent({ ts: D0 + DAY_MS + i * 1000, attribution: { tenant: 'acme' } })));
      // A call two days later closes the day, so it has day rows.
      await ledger.append([makeEvent({ ts: D0 + 3 * DAY_MS, attribution: { tenant: 'other' } })]);
      const before = await ledger.report({ since: D0, until: D0 + 3 * DAY_MS, by: 'tenant' });
      await harness.corrupt(D0 + DAY_MS);
      const broken = await ledger.checkRollups({ since: D0 + DAY_MS + 5, until: D0 + DAY_MS + 10 });
      assert.deepEqual(broken.range, { since: D0 + DAY_MS, until: D0 + 2 * DAY_MS }, 'checks whole days');
      assert.deepEqual(broken.mismatches.map((m) => [m.dimension, m.key, m.spanMs, m.field, m.expected, m.actual]),
        [['tenant', 'acme', DAY_MS, 'requests', '40', '41']]);
      assert.equal((await ledger.report({ since: D0, until: D0 + 3 * DAY_MS, by: 'tenant' }))[0]!.requests, 41, 'reports read rollups');
      const rebuilt = await ledger.rebuildRollups({ since: D0 + DAY_MS, until: D0 + 2 * DAY_MS });
      assert.equal(rebuilt.events, 40);
      assert.ok(rebuilt.rows > 0);
      assert.deepEqual((await ledger.checkRollups(all)).mismatches, []);
      assert.deepEqual(await ledger.report({ since: D0, until: D0 + 3 * DAY_MS, by: 'tenant' }), before);
    });

    withHarness('prune drops whole days of raw events and keeps rollups longer', async ({ ledger }) => {
      const { batches } = rollupDataset(600, 5);
      for (const batch of batches) await ledger.append(batch);
      const day0 = { since: D0, until: D0 + DAY_MS };
      const byFeature = await ledger.report({ ...day0, by: 'feature' });
      const day1Count = await ledger.count({ since: D0 + DAY_MS, until: D0 + 2 * DAY_MS });
      const pruned = await ledger.prune({ rawBefore: D0 + DAY_MS + 5 * 3_600_000 }); // rounds down to D0 + 1 day
      assert.equal(pruned.events, byFeature.reduce((s, r) => s + r.requests, 0));
      assert.equal(pruned.rollupRows, 0);
      assert.equal(await ledger.count(day0), 0);
      assert.equal(await ledger.count({ since: D0 + DAY_MS, until: D0 + 2 * DAY_MS }), day1Count);
      assert.deepEqual(await ledger.report({ ...day0, by: 'feature' }), byFeature, 'old days still reported from rollups');
      assert.deepEqual(await ledger.report({ ...day0, by: 'user' }), [], 'user reads raw events: gone');
      const check = await ledger.checkRollups(all);
      assert.equal(check.range.since, D0 + DAY_MS, 'check starts where raw events are complete');
      assert.deepEqual(check.mismatches, []);
      const dropped = await ledger.prune({ rawBefore: D0, rollupsBefore: D0 + DAY_MS });
      assert.equal(dropped.events, 0);
      assert.ok(dropped.rollupRows > 0);
      assert.deepEqual(await ledger.report({ ...day0, by: 'feature' }), []);
      assert.deepEqual((await ledger.checkRollups(all)).mismatches, []);
    });

    withHarness('a day gets its day rows once it is over; later calls of a rolled-up day update them', async (harness) => {
      const { ledger } = harness;
      const H = 3_600_000;
      const at = (ts: number, tenant = 'acme') => makeEvent({ ts, attribution: { tenant } });
      await ledger.append(Array.from({ length: 23 }, (_, i) => at(D0 + (i + 1) * H)));
      assert.deepEqual(await harness.daysWithDayRows(), [], 'the day is still open');
      await ledger.append([at(D0 + DAY_MS + 30 * 60_000)]);
      assert.deepEqual(await harness.daysWithDayRows(), [], 'within the grace hour after midnight');
      await ledger.append([at(D0 + DAY_MS + 2 * H)]);
      assert.deepEqual(await harness.daysWithDayRows(), [D0], 'rolled up from its hour rows');
      await ledger.append([at(D0 + 5 * H + 1, 'late'), at(D0 + DAY_MS + 3 * H)]);
      assert.deepEqual(await harness.daysWithDayRows(), [D0]);
      assert.deepEqual((await ledger.checkRollups(all)).mismatches, []);
      const day0 = await ledger.report({ since: D0, until: D0 + DAY_MS, by: 'tenant' });
      assert.deepEqual(day0.map((r) => [r.key, r.requests]), [['acme', 23], ['late', 1]]);
      await ledger.append([at(D0 + 5 * DAY_MS)]);
      assert.deepEqual(await harness.daysWithDayRows(), [D0, D0 + DAY_MS], 'days without calls have no rows');
      assert.deepEqual((await ledger.checkRollups(all)).mismatches, []);
      assert.equal((await ledger.report({ since: D0, until: D0 + 6 * DAY_MS, by: 'day' })).reduce((s, r) => s + r.requests, 0), 28);
    });

    withHarness('schema status names the current and newest version', async ({ ledger }) => {
      const status = await ledger.schemaStatus();
      assert.ok(status.current >= 1);
      assert.equal(status.current, status.latest);
    });
  });
}

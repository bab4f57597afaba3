import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageEvent } from '../../src/core/usage-event.js';
import { REPORT_DIMENSIONS, type Ledger, type ReportDimension, type ReportRow } from '../../src/store/ledger.js';
import { makeEvent } from '../support/make-event.js';

/**
 * p95 input tokens may come from a token sketch (rollups): within 1/32 of the exact nearest-rank value,
 * exact below 32 (src/store/rollup-sketch.ts). Engines reading raw events return the exact value.
 */
const P95_RELATIVE_ERROR = 1 / 32;

function assertP95Close(actual: number, exact: number, message: string): void {
  if (exact < 32) assert.equal(actual, exact, message);
  else assert.ok(Math.abs(actual - exact) <= exact * P95_RELATIVE_ERROR, `${message}: p95 ${actual} vs exact ${exact}`);
}

/** Compares report rows exactly, except p95 (checked against the sketch bound). */
function assertSameReport(actual: ReportRow[], expected: ReportRow[], message: string): void {
  const strip = (rows: ReportRow[]) => byKey(rows).map((row) => ({ ...row, p95InputTokens: 0 }));
  assert.deepEqual(strip(actual), strip(expected), message);
  const exact = new Map(expected.map((row) => [row.key, row.p95InputTokens]));
  for (const row of actual) assertP95Close(row.p95InputTokens, exact.get(row.key)!, `${message}, key ${row.key}`);
}

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

/** Deterministic PRNG (mulberry32), so a failing dataset can be reproduced. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Independent reference grouping, written from the ReportRow docs rather than shared with the engines. */
function expectedReport(events: UsageEvent[], by: ReportDimension, since: number, until: number): ReportRow[] {
  const keyOf = (e: UsageEvent): string | null => {
    if (by === 'model') return e.servedModel ?? e.requestedModel;
    if (by === 'provider') return e.provider;
    if (by === 'endpoint') return e.endpoint;
    if (by === 'day') return new Date(e.ts).toISOString().slice(0, 10);
    return e.attribution[by];
  };
  const groups = new Map<string | null, UsageEvent[]>();
  for (const e of events) {
    if (e.ts < since || e.ts >= until) continue;
    const key = keyOf(e);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups].map(([key, list]) => {
    const inputs = list.map((e) => e.usage.inputUncached + e.usage.cacheRead + e.usage.cacheWrite5m + e.usage.cacheWrite1h);
    const sorted = [...inputs].sort((a, b) => a - b);
    return {
      key,
      requests: list.length,
      errors: list.filter((e) => e.status >= 400 || e.errorType !== null).length,
      inputTokens: inputs.reduce((a, b) => a + b, 0),
      outputTokens: list.reduce((a, e) => a + e.usage.output, 0),
      cachedTokens: list.reduce((a, e) => a + e.usage.cacheRead, 0),
      cacheWriteTokens: list.reduce((a, e) => a + e.usage.cacheWrite5m + e.usage.cacheWrite1h, 0),
      reasoningTokens: list.reduce((a, e) => a + e.usage.reasoning, 0),
      costPico: list.reduce((a, e) => a + BigInt(e.cost?.total ?? 0), 0n),
      unpricedRequests: list.filter((e) => e.cost === null).length,
      estimatedRequests: list.filter((e) => e.estimated).length,
      p95InputTokens: sorted[Math.ceil(sorted.length * 0.95) - 1]!,
    };
  });
}

const byKey = (rows: ReportRow[]): ReportRow[] =>
  [...rows].sort((a, b) => String(a.key ?? '\u0000').localeCompare(String(b.key ?? '\u0000')));

/** A varied dataset: null and non-null attribution, errors, estimates, unpriced calls, several days. */
function dataset(n: number, seed: number): UsageEvent[] {
  const rand = random(seed);
  const pick = <T>(values: T[]): T => values[Math.floor(rand() * values.length)]!;
  return Array.from({ length: n }, () => {
    const event = makeEvent({
      ts: T0 + Math.floor(rand() * 3 * DAY),
      provider: pick(['openai', 'anthropic']),
      endpoint: pick(['chat.completions', 'messages', 'responses'] as const),
      requestedModel: pick(['gpt-4o', 'claude-sonnet-4-5', null]),
      servedModel: pick(['gpt-4o-2024-08-06', null]),
      status: pick([200, 200, 200, 429, 500]),
      errorType: pick([null, null, null, 'client_disconnect']),
      estimated: rand() < 0.1,
      usage: {
        inputUncached: Math.floor(rand() * 5000), cacheRead: Math.floor(rand() * 2000),
        cacheWrite5m: pick([0, 0, 1024]), cacheWrite1h: pick([0, 0, 0, 2048]),
        output: Math.floor(rand() * 800), reasoning: pick([0, 64]),
      },
      attribution: {
        feature: pick(['chat', 'search', 'summarize', null]), tenant: pick(['acme', 'globex', null]),
        user: pick(['u1', 'u2', null]), team: pick(['core', null]), task: pick(['t1', 't2', 't3', null]),
        template: pick(['summarize@v3', null]), env: pick(['prod', 'staging', null]),
      },
    });
    if (rand() < 0.15) event.cost = null;
    return event;
  });
}

async function collect(iterable: AsyncIterable<UsageEvent>): Promise<UsageEvent[]> {
  const out: UsageEvent[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}

/** Runs the Ledger contract against one engine; `open` must return a fresh, empty ledger on each call. */
export function runLedgerContract(name: string, open: () => Promise<Ledger>, cleanup?: () => Promise<void> | void): void {
  const withLedger = (title: string, body: (ledger: Ledger) => Promise<void>): void => {
    test(title, async () => {
      const ledger = await open();
      try { await body(ledger); } finally { await ledger.close(); }
    });
  };
  const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

  describe(`Ledger contract: ${name}`, () => {
    if (cleanup) after(cleanup);

    withLedger('an empty ledger counts and reports nothing', async (ledger) => {
      assert.equal(await ledger.count(all), 0);
      assert.deepEqual(await ledger.report({ ...all, by: 'feature' }), []);
      assert.deepEqual(await ledger.unpriced(all), []);
      assert.deepEqual(await collect(ledger.events(all)), []);
      await ledger.append([]);
      assert.equal(await ledger.count(all), 0);
    });

    withLedger('append is idempotent by id: the first stored version wins', async (ledger) => {
      const first = makeEvent({ attribution: { feature: 'original' } });
      const duplicate = { ...makeEvent({ attribution: { feature: 'changed' } }), id: first.id };
      await ledger.append([first, first]);
      await ledger.append([duplicate, makeEvent()]);
      assert.equal(await ledger.count(all), 2);
      const stored = await collect(ledger.events(all));
      assert.equal(stored.find((e) => e.id === first.id)?.attribution.feature, 'original');
    });

    withLedger('round-trips every field, fully populated and fully empty', async (ledger) => {
      const full = makeEvent({
        ts: T0 + 1234, latencyMs: 987, ttftMs: 55, provider: 'anthropic', endpoint: 'messages',
        requestedModel: 'claude-sonnet-4-5', servedModel: 'claude-sonnet-4-5-20250929', pricedModel: 'claude-sonnet-4-5',
        status: 529, errorType: 'overloaded_error', stream: true, serviceTier: 'priority',
        usage: { inputUncached: 11, cacheRead: 22, cacheWrite5m: 33, cacheWrite1h: 44, output: 55, reasoning: 6, webSearchRequests: 2 },
        rawUsage: '{"input_tokens":11,"cache_read_input_tokens":22,"note":"ünïcode \\"q\\""}', estimated: true,
        attribution: { feature: 'fé,ature', tenant: 't"1', user: 'u\n1', team: 'team', task: 'task-9', template: 'summarize@v3', env: 'prod',
          tags: { region: 'eu-west', 'key with space': 'välue 🚀' } },
        attempt: 3, retryOf: 'evt-parent', cacheStatus: 'miss', footprint: { system: 100, tools: 20, history: 300, lastUser: 40 },
        source: 'sdk', requestText: 'line1\nline2, "quoted"', responseText: '🙂 response',
      });
      full.cost = { input: 1, cacheRead: 2, cacheWrite: 3, output: 4, requestFees: 5, total: 15 };
      const empty = makeEvent({
        ts: T0 + 2000, latencyMs: 0, ttftMs: null, requestedModel: null, servedModel: null, pricedModel: null,
        serviceTier: null, rawUsage: null, cost: null, footprint: null, retryOf: null, requestText: null, responseText: null,
        usage: { inputUncached: 0, output: 0 },
        attribution: { feature: null, tenant: null, user: null, team: null, task: null, template: null, env: null },
        source: 'ingest', cacheStatus: 'hit',
      });
      await ledger.append([full, empty]);
      const stored = await collect(ledger.events(all));
      assert.deepEqual(stored, [full, empty]);
      stored[0]!.attribution.tags.region = 'mutated';
      assert.deepEqual((await collect(ledger.events(all)))[0], full, 'reads return copies');
    });

    withLedger('unpriced calls keep a null cost, are counted and listed, never priced at $0', async (ledger) => {
      const priced = makeEvent({ ts: T0 + 10 });
      const unpricedA = makeEvent({ ts: T0 + 20, cost: null, pricedModel: null, requestedModel: 'mystery-1', servedModel: null,
        usage: { inputUncached: 100, cacheRead: 50, output: 7 } });
      const unpricedB = makeEvent({ ts: T0 + 30, cost: null, pricedModel: null, requestedModel: 'mystery-1', servedModel: null,
        usage: { inputUncached: 10, output: 3 } });
      const otherProvider = makeEvent({ ts: T0 + 40, cost: null, provider: 'anthropic', requestedModel: 'mystery-1', servedModel: null });
      await ledger.append([priced, unpricedA, unpricedB, otherProvider]);
      const stored = await collect(ledger.events(all));
      assert.equal(stored.filter((e) => e.cost === null).length, 3);
      const [row] = await ledger.report({ ...all, by: 'feature' });
      assert.equal(row!.requests, 4);
      assert.equal(row!.unpricedRequests, 3);
      assert.equal(row!.costPico, BigInt(priced.cost!.total));
      assert.deepEqual(await ledger.unpriced(all), [
        { provider: 'openai', model: 'mystery-1', requests: 2, inputTokens: 160, outputTokens: 10, firstSeen: T0 + 20, lastSeen: T0 + 30 },
        { provider: 'anthropic', model: 'mystery-1', requests: 1, inputTokens: 1000, outputTokens: 200, firstSeen: T0 + 40, lastSeen: T0 + 40 },
      ]);
      assert.deepEqual(await ledger.unpriced({ since: T0 + 25, until: T0 + 40 }), [
        { provider: 'openai', model: 'mystery-1', requests: 1, inputTokens: 10, outputTokens: 3, firstSeen: T0 + 30, lastSeen: T0 + 30 },
      ]);
    });

    withLedger('reports group and sum exactly for every dimension, null keys included', async (ledger) => {
      const events = dataset(600, 42);
      for (let i = 0; i < events.length; i += 97) await ledger.append(events.slice(i, i + 97));
      // Whole hours and days, ragged edges inside hours, a range inside one hour, and everything.
      const ranges = [
        { since: T0 + DAY / 2, until: T0 + 2 * DAY + 3_600_000 },
        { since: T0 + DAY / 2 + 17 * 60_000 + 3, until: T0 + 2 * DAY + 5 * 3_600_000 + 41 * 60_000 },
        { since: T0 + DAY + 60_000, until: T0 + DAY + 50 * 60_000 },
        // Mostly-covered partial days: rollup engines read day rows minus the hours outside.
        { since: T0 + 3 * 3_600_000 + 7, until: T0 + 2 * DAY + 20 * 3_600_000 + 5 * 60_000 },
        { since: T0 + DAY + 2 * 3_600_000 + 5, until: T0 + DAY + 21 * 3_600_000 },
        all,
      ];
      for (const { since, until } of ranges) {
        for (const by of REPORT_DIMENSIONS) {
          const actual = await ledger.report({ since, until, by });
          assertSameReport(actual, expectedReport(events, by, since, until), `report by ${by} over [${since}, ${until})`);
          for (let i = 1; i < actual.length; i++) assert.ok(actual[i - 1]!.costPico >= actual[i]!.costPico, `${by} ordered by cost`);
        }
      }
      const [since, until] = [ranges[1]!.since, ranges[1]!.until];
      for (const by of ['task', 'tenant'] as const) {
        const top2 = await ledger.report({ since, until, by, limit: 2 });
        const full = await ledger.report({ since, until, by });
        assert.deepEqual(top2, full.slice(0, 2), `limit by ${by}`);
        assert.ok(full.some((row) => row.key === null), 'null key is its own group');
      }
    });

    withLedger('day groups split at UTC midnight', async (ledger) => {
      await ledger.append([makeEvent({ ts: T0 + DAY - 1 }), makeEvent({ ts: T0 + DAY }), makeEvent({ ts: T0 + DAY + 5 })]);
      const rows = byKey(await ledger.report({ ...all, by: 'day' }));
      assert.deepEqual(rows.map((r) => [r.key, r.requests]), [['2026-11-01', 1], ['2026-11-02', 2]]);
    });

    withLedger('cost sums stay exact past 2^63 pico in one group (no silent wrap)', async (ledger) => {
      const perCall = 9_000_000_000_000_000; // $9,000, close to the per-call safe-integer ceiling
      const events = Array.from({ length: 1100 }, (_, i) => makeEvent({ ts: T0 + i, attribution: { feature: 'huge' } }));
      for (const e of events) e.cost = { input: perCall, cacheRead: 0, cacheWrite: 0, output: 0, requestFees: 0, total: perCall };
      events.push(makeEvent({ ts: T0 + 5000, attribution: { feature: 'huge' }, cost: { input: 7, cacheRead: 0, cacheWrite: 0, output: 0, requestFees: 0, total: 7 } }));
      await ledger.append(events);
      const [row] = await ledger.report({ ...all, by: 'feature' });
      assert.equal(row!.costPico, 1100n * BigInt(perCall) + 7n);
      assert.ok(row!.costPico > 2n ** 63n);
    });

    withLedger('time ranges are [since, until)', async (ledger) => {
      const since = T0 + 1000;
      const until = T0 + 2000;
      const [before, atSince, inside, atUntil] = [since - 1, since, until - 1, until].map((ts) => makeEvent({ ts }));
      await ledger.append([before!, atSince!, inside!, atUntil!]);
      assert.equal(await ledger.count({ since, until }), 2);
      assert.deepEqual((await collect(ledger.events({ since, until }))).map((e) => e.id), [atSince!.id, inside!.id]);
      const [row] = await ledger.report({ since, until, by: 'provider' });
      assert.equal(row!.requests, 2);
      assert.equal(await ledger.count({ since: until, until: until + 1 }), 1);
      assert.equal(await ledger.count({ since, until: since }), 0);
    });

    withLedger('p95 input tokens is the nearest-rank value per group (within the sketch bound)', async (ledger) => {
      const rand = random(7);
      const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 10).sort(() => rand() - 0.5);
      const events = values.map((v) => makeEvent({ attribution: { feature: 'hundred' }, usage: { inputUncached: v - 4, cacheRead: 4 } }));
      events.push(makeEvent({ attribution: { feature: 'single' }, usage: { inputUncached: 777 } }));
      for (let i = 1; i <= 20; i++) events.push(makeEvent({ attribution: { feature: 'twenty' }, usage: { inputUncached: i } }));
      await ledger.append(events);
      const p95 = new Map((await ledger.report({ ...all, by: 'feature' })).map((r) => [r.key, r.p95InputTokens]));
      assertP95Close(p95.get('hundred')!, 950, 'hundred');
      assertP95Close(p95.get('single')!, 777, 'single');
      assert.equal(p95.get('twenty'), 19, 'exact below 32');
    });

    withLedger('events() streams in (ts, id) order across pages, and appends during iteration are safe', async (ledger) => {
      const rand = random(99);
      const events = Array.from({ length: 2600 }, (_, i) => makeEvent({ ts: T0 + Math.floor(i / 3), id: `e-${(7919 * i) % 2600}` }));
      const shuffled = [...events].sort(() => rand() - 0.5);
      await ledger.append(shuffled.slice(0, 1300));
      await ledger.append(shuffled.slice(1300));
      const expected = [...events].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1)).map((e) => e.id);
      const seen: string[] = [];
      let appended = 0;
      for await (const event of ledger.events(all)) {
        seen.push(event.id);
        if (seen.length % 500 === 0) await ledger.append([makeEvent({ ts: T0 + 10 * DAY + appended++ })]);
      }
      assert.deepEqual(seen.slice(0, expected.length), expected);
      assert.equal(await ledger.count(all), 2600 + appended);
    });

    withLedger('a closed ledger rejects further use', async (ledger) => {
      await ledger.close();
      await assert.rejects(ledger.append([makeEvent()]));
      await assert.rejects(ledger.count(all));
    });
  });
}

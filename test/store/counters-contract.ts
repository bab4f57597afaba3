import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Counters, CounterEntry, ReserveResult } from '../../src/store/counters.js';
import { budgetWindowAt } from '../../src/core/budget-window.js';
import { decideReserveFailure, planSpend, settleAmounts } from '../../src/core/spend-plan.js';
import { emptyAttribution } from '../../src/core/usage-event.js';

/** A fresh, isolated counters store; `peers` see the same state through other connections. */
export interface CountersHarness {
  counters: Counters;
  peers: Counters[];
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-20T10:00:00Z');
const entry = (key: string, amount: number, limit: number, extra: Partial<CounterEntry> = {}): CounterEntry => ({ key, amount, limit, ttlMs: 3_600_000, ...extra });

/** Runs the behaviour every Counters implementation must have. */
export function runCountersContract(name: string, open: () => Promise<CountersHarness>): void {
  const withStore = (title: string, body: (harness: CountersHarness) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const harness = await open();
      try { await body(harness); } finally { await harness.cleanup(); }
    });

  withStore('reserve is all-or-nothing across keys', async ({ counters }) => {
    const first = await counters.reserve({ id: 'r1', entries: [entry('a', 60, 100), entry('b', 60, 100)], leaseMs: 30_000, now: T0 });
    assert.equal(first.ok, true);
    assert.deepEqual(first.ok && first.counts, [{ spent: 0, reserved: 60 }, { spent: 0, reserved: 60 }]);
    const second = await counters.reserve({ id: 'r2', entries: [entry('c', 10, 100), entry('a', 50, 100)], leaseMs: 30_000, now: T0 });
    assert.deepEqual(second, { ok: false, index: 1, key: 'a', spent: 0, reserved: 60, amount: 50, limit: 100 });
    assert.deepEqual(await counters.get('c', T0), { spent: 0, reserved: 0 }, 'the entry that fitted holds nothing');
    assert.deepEqual(await counters.get('a', T0), { spent: 0, reserved: 60 });
    await assert.rejects(counters.reserve({ id: 'r3', entries: [entry('d', 1, 100), entry('d', 1, 100)], leaseMs: 30_000, now: T0 }), /appears twice/);
    await assert.rejects(counters.reserve({ id: 'r4', entries: [entry('d', 1.5, 100)], leaseMs: 30_000, now: T0 }), /safe integer/);
  });

  withStore('zero overrun under 500 concurrent reserves, and every refusal names the full key', async ({ counters, peers }) => {
    const stores = [counters, ...peers];
    const limit = 1000;
    const amount = 7;
    const attempts = Array.from({ length: 500 }, (_, index) =>
      stores[index % stores.length]!.reserve({
        id: `c${index}`, leaseMs: 60_000, now: T0,
        entries: [entry('global', amount, limit), entry(`tenant-${index % 5}`, amount, 300)],
      }));
    const results = await Promise.all(attempts);
    const granted = results.filter((result) => result.ok);
    assert.equal(granted.length, Math.floor(limit / amount));
    for (const result of results) if (!result.ok) assert.equal(result.key, 'global');
    assert.deepEqual(await counters.get('global', T0), { spent: 0, reserved: granted.length * amount });
    await Promise.all(granted.map((result, index) => stores[index % stores.length]!.settle((result as { reservation: { id: string } }).reservation.id, [amount - (index % 3), amount - (index % 3)], T0 + 1)));
    const settled = await counters.get('global', T0 + 2);
    assert.equal(settled.reserved, 0);
    assert.ok(settled.spent <= limit);
    let tenants = 0;
    for (let tenant = 0; tenant < 5; tenant++) tenants += (await counters.get(`tenant-${tenant}`, T0 + 2)).spent;
    assert.equal(tenants, settled.spent);
  });

  withStore('settle lower frees room; settle higher is recorded anyway', async ({ counters }) => {
    await counters.reserve({ id: 'low', entries: [entry('k', 100, 150)], leaseMs: 30_000, now: T0 });
    assert.equal((await counters.reserve({ id: 'blocked', entries: [entry('k', 100, 150)], leaseMs: 30_000, now: T0 })).ok, false);
    assert.deepEqual(await counters.settle('low', 40, T0 + 1), { status: 'settled', spent: [40] });
    assert.deepEqual(await counters.get('k', T0 + 1), { spent: 40, reserved: 0 });
    assert.equal((await counters.reserve({ id: 'high', entries: [entry('k', 100, 150)], leaseMs: 30_000, now: T0 + 2 })).ok, true);
    assert.deepEqual(await counters.settle('high', 130, T0 + 3), { status: 'settled', spent: [170] });
    assert.deepEqual(await counters.get('k', T0 + 3), { spent: 170, reserved: 0 });
    assert.equal((await counters.reserve({ id: 'after', entries: [entry('k', 0, 150)], leaseMs: 30_000, now: T0 + 4 })).ok, false);
  });

  withStore('settle and release are idempotent; reusing an id replays or fails', async ({ counters }) => {
    const reserve = () => counters.reserve({ id: 'once', entries: [entry('x', 10, 100), entry('y', 20, 100)], leaseMs: 30_000, now: T0 });
    const first = await reserve();
    const replay = await reserve();
    assert.equal(replay.ok, true);
    assert.deepEqual(replay.ok && replay.reservation, first.ok && first.reservation);
    assert.deepEqual(await counters.get('x', T0), { spent: 0, reserved: 10 }, 'a replay holds nothing more');
    await assert.rejects(counters.settle('once', [1], T0), /expected 2 actual amounts|has 2 keys/);
    assert.deepEqual(await counters.settle('once', [5, 25], T0 + 1), { status: 'settled', spent: [5, 25] });
    assert.deepEqual(await counters.settle('once', [5, 25], T0 + 2), { status: 'duplicate', spent: [] });
    assert.equal(await counters.release('once', T0 + 3), 'duplicate');
    assert.deepEqual(await counters.get('y', T0 + 3), { spent: 25, reserved: 0 });
    await assert.rejects(reserve(), /already used/);
    assert.equal(await counters.release('never-made', T0), 'unknown');
    assert.deepEqual(await counters.settle('never-made', 1, T0), { status: 'unknown', spent: [] });
    await counters.reserve({ id: 'dropped', entries: [entry('x', 50, 100)], leaseMs: 30_000, now: T0 });
    assert.equal(await counters.release('dropped', T0 + 1), 'settled');
    assert.equal(await counters.release('dropped', T0 + 2), 'duplicate');
    assert.deepEqual(await counters.get('x', T0 + 2), { spent: 5, reserved: 0 });
  });

  withStore('expired leases stop counting (self-healing), a late settle still records spend, extend keeps a hold', async ({ counters }) => {
    await counters.reserve({ id: 'crashed', entries: [entry('lease', 80, 100)], leaseMs: 5000, now: T0 });
    await counters.reserve({ id: 'long', entries: [entry('lease', 20, 100)], leaseMs: 5000, now: T0 });
    assert.equal(await counters.extend('long', 60_000, T0 + 4000), true);
    assert.deepEqual(await counters.get('lease', T0 + 4999), { spent: 0, reserved: 100 });
    assert.equal((await counters.reserve({ id: 'early', entries: [entry('lease', 1, 100)], leaseMs: 5000, now: T0 + 4999 })).ok, false);
    assert.deepEqual(await counters.get('lease', T0 + 5000), { spent: 0, reserved: 20 }, 'the crashed hold no longer counts');
    const healed = await counters.reserve({ id: 'healed', entries: [entry('lease', 80, 100)], leaseMs: 5000, now: T0 + 5000 });
    assert.equal(healed.ok, true);
    assert.equal(await counters.extend('crashed', 5000, T0 + 6000), false, 'an expired lease cannot be revived');
    assert.deepEqual(await counters.settle('crashed', 30, T0 + 6000), { status: 'settled', spent: [30] });
    assert.deepEqual(await counters.get('lease', T0 + 6000), { spent: 30, reserved: 100 }, 'reserved never goes negative');
    await counters.settle('healed', 0, T0 + 6001);
    await counters.settle('long', 20, T0 + 6002);
    assert.deepEqual(await counters.get('lease', T0 + 6003), { spent: 50, reserved: 0 });
  });

  withStore('no leak after 10k reserve+settle cycles (reserved = 0 at rest)', async ({ counters, peers }) => {
    const stores = [counters, ...peers];
    let now = T0;
    let expectedSpent = 0;
    const batch = 100;
    for (let round = 0; round < 10_000 / batch; round++) {
      now += 10;
      const results: ReserveResult[] = await Promise.all(Array.from({ length: batch }, (_, index) =>
        stores[index % stores.length]!.reserve({ id: `leak-${round}-${index}`, entries: [entry('leak', 3, 1_000_000), entry(`leak-${index % 7}`, 3, 1_000_000)], leaseMs: 1000, now })));
      await Promise.all(results.map(async (result, index) => {
        assert.equal(result.ok, true);
        if (!result.ok) return;
        const store = stores[(index + 1) % stores.length]!;
        if (index % 10 === 0) return; // abandoned: a crashed request; its lease must heal
        if (index % 10 === 1) { await store.release(result.reservation.id, now + 1); return; }
        expectedSpent += 1 + (index % 3);
        await store.settle(result.reservation.id, 1 + (index % 3), now + 1);
      }));
    }
    const rest = now + 2000;
    assert.deepEqual(await counters.get('leak', rest), { spent: expectedSpent, reserved: 0 });
    for (let key = 0; key < 7; key++) assert.equal((await counters.get(`leak-${key}`, rest)).reserved, 0);
    const fits = await counters.reserve({ id: 'final', entries: [entry('leak', 1_000_000 - expectedSpent, 1_000_000)], leaseMs: 1000, now: rest });
    assert.equal(fits.ok, true, 'no phantom hold blocks the remaining budget');
  });

  withStore('sliding-window rate limits: all-or-nothing, remaining, exact retry-after', async ({ counters, peers }) => {
    const stores = [counters, ...peers];
    const rpm = { key: 'rpm', amount: 1, limit: 5, windowMs: 60_000 };
    const base = Math.floor(T0 / 60_000) * 60_000;
    const results = await Promise.all(Array.from({ length: 8 }, (_, index) => stores[index % stores.length]!.hit({ entries: [rpm], now: base + 1000 })));
    assert.equal(results.filter((result) => result.allowed).length, 5);
    const remaining = results.filter((result) => result.allowed).map((result) => result.outcomes[0]!.remaining).sort();
    assert.deepEqual(remaining, [0, 1, 2, 3, 4]);
    const refused = results.find((result) => !result.allowed)!;
    assert.equal(refused.failedIndex, 0);
    const retry = refused.outcomes[0]!.retryAfterMs!;
    assert.equal(refused.outcomes[0]!.resetMs, 59_000);
    assert.equal((await counters.hit({ entries: [rpm], now: base + 1000 + retry - 1 })).allowed, false);
    assert.equal((await counters.hit({ entries: [rpm], now: base + 1000 + retry })).allowed, true, 'allowed exactly at retry-after');
    // Tokens per minute and requests together: one refusal counts nothing.
    const tpm = { key: 'tpm', amount: 700, limit: 1000, windowMs: 60_000 };
    assert.equal((await counters.hit({ entries: [{ ...rpm, key: 'rpm2' }, tpm], now: base })).allowed, true);
    const both = await counters.hit({ entries: [{ ...rpm, key: 'rpm2' }, tpm], now: base + 10 });
    assert.equal(both.allowed, false);
    assert.equal(both.failedIndex, 1);
    assert.equal(both.outcomes[0]!.remaining, 4, 'the entry that fitted was not counted');
    assert.equal(both.outcomes[1]!.remaining, 300);
    const tooBig = await counters.hit({ entries: [{ ...tpm, key: 'tpm3', amount: 1001 }], now: base });
    assert.equal(tooBig.outcomes[0]!.retryAfterMs, null);
    // Two windows later everything has decayed.
    assert.equal((await counters.hit({ entries: [{ ...tpm, amount: 1000 }], now: base + 120_000 })).allowed, true);
  });

  withStore('budget windows roll over by key; rolling windows count prior buckets', async ({ counters }) => {
    const spec = { kind: 'calendar', period: 'month', timeZone: 'America/New_York' } as const;
    const lateNovember = Date.parse('2026-11-30T12:00:00Z');
    const november = budgetWindowAt(spec, lateNovember);
    await counters.reserve({ id: 'nov', entries: [entry(`b:${november.key}`, 90, 100, { ttlMs: november.ttlMs })], leaseMs: 1000, now: lateNovember });
    await counters.settle('nov', 90, lateNovember + 1);
    const december = budgetWindowAt(spec, november.end);
    assert.equal(december.key, '2026-12');
    assert.deepEqual(await counters.get(`b:${december.key}`, november.end), { spent: 0, reserved: 0 });
    assert.equal((await counters.reserve({ id: 'dec', entries: [entry(`b:${december.key}`, 100, 100, { ttlMs: december.ttlMs })], leaseMs: 1000, now: november.end })).ok, true);
    assert.deepEqual(await counters.get(`b:${november.key}`, november.end), { spent: 90, reserved: 0 });

    const rolling = { kind: 'rolling', durationMs: 60_000, bucketMs: 10_000 } as const;
    const at = (now: number) => budgetWindowAt(rolling, now);
    const first = at(T0);
    await counters.reserve({ id: 'roll1', entries: [entry(first.key, 60, 100, { ttlMs: first.ttlMs, priorKeys: first.priorKeys })], leaseMs: 1000, now: T0 });
    await counters.settle('roll1', 60, T0 + 1);
    const later = at(T0 + 30_000);
    assert.notEqual(later.key, first.key);
    assert.deepEqual(await counters.get(later.key, T0 + 30_000, later.priorKeys), { spent: 60, reserved: 0 });
    const refused = await counters.reserve({ id: 'roll2', entries: [entry(later.key, 50, 100, { ttlMs: later.ttlMs, priorKeys: later.priorKeys })], leaseMs: 1000, now: T0 + 30_000 });
    assert.deepEqual(refused.ok ? null : [refused.spent, refused.reserved], [60, 0]);
    // The spend's bucket counts until the whole bucket is older than the duration.
    const leaves = first.end + 60_000;
    const still = at(leaves - 1);
    assert.equal((await counters.reserve({ id: 'roll3', entries: [entry(still.key, 100, 100, { ttlMs: still.ttlMs, priorKeys: still.priorKeys })], leaseMs: 1000, now: leaves - 1 })).ok, false);
    const gone = at(leaves);
    assert.equal((await counters.reserve({ id: 'roll4', entries: [entry(gone.key, 100, 100, { ttlMs: gone.ttlMs, priorKeys: gone.priorKeys })], leaseMs: 1000, now: leaves })).ok, true);
  });

  withStore('reset zeroes a key', async ({ counters }) => {
    await counters.reserve({ id: 'z1', entries: [entry('reset-me', 40, 100)], leaseMs: 10_000, now: T0 });
    await counters.settle('z1', 40, T0);
    await counters.reserve({ id: 'z2', entries: [entry('reset-me', 40, 100)], leaseMs: 10_000, now: T0 });
    await counters.reset('reset-me');
    assert.deepEqual(await counters.get('reset-me', T0), { spent: 0, reserved: 0 });
    assert.equal((await counters.settle('z2', 10, T0 + 1)).status, 'settled');
    assert.deepEqual(await counters.get('reset-me', T0 + 1), { spent: 10, reserved: 0 });
  });

  withStore('a spend plan round-trips: reserve, refuse with budget_exceeded, settle', async ({ counters }) => {
    const policies = {
      budgets: [{ id: 'tiny', scope: { kind: 'tenant' as const }, limitPico: 10_000_000, window: { kind: 'calendar' as const, period: 'day' as const, timeZone: 'Asia/Kolkata' }, mode: 'hard' as const, alertThresholds: [1], onExceed: 'reject' as const }],
      rateLimits: [], taskCaps: [{ id: 'loop', maxCalls: 3 }], inputCaps: [], outputCaps: [],
    };
    const subject = { attribution: { ...emptyAttribution(), tenant: 'acme', task: 'agent-1' }, keyId: null, model: 'gpt-4o' };
    const estimate = { inputTokens: 100, outputTokens: 100, costPico: 4_000_000 };
    const plan = planSpend(policies, subject, estimate, T0);
    const first = await counters.reserve({ id: 'p1', entries: plan.reserves, leaseMs: 60_000, now: T0 });
    const second = await counters.reserve({ id: 'p2', entries: plan.reserves, leaseMs: 60_000, now: T0 });
    const third = await counters.reserve({ id: 'p3', entries: plan.reserves, leaseMs: 60_000, now: T0 });
    assert.equal(first.ok && second.ok, true);
    assert.equal(third.ok, false);
    if (third.ok) return;
    const decision = decideReserveFailure(plan, third, subject, T0);
    assert.equal(decision.kind === 'deny' && decision.code, 'budget_exceeded');
    assert.equal(decision.kind === 'deny' && decision.reserved, '0.000008');
    await counters.settle('p1', settleAmounts(plan, { inputTokens: 90, outputTokens: 10, costPico: 1_000_000 }), T0 + 1);
    await counters.release('p2', T0 + 1);
    assert.deepEqual(await counters.get(plan.reserves[0]!.key, T0 + 1), { spent: 1000, reserved: 0 });
    // Calls 2 and 3 of the task fit the budget; the 4th is stopped by the loop cap.
    for (const id of ['p4', 'p5']) {
      assert.equal((await counters.reserve({ id, entries: plan.reserves, leaseMs: 60_000, now: T0 + 2 })).ok, true);
      await counters.settle(id, settleAmounts(plan, { inputTokens: 1, outputTokens: 1, costPico: 0 }), T0 + 2);
    }
    const capped = await counters.reserve({ id: 'p6', entries: plan.reserves, leaseMs: 60_000, now: T0 + 3 });
    assert.equal(capped.ok, false);
    const loop = capped.ok ? null : decideReserveFailure(plan, capped, subject, T0 + 3);
    assert.equal(loop?.kind === 'deny' && loop.code, 'task_cap_exceeded');
  });
}

#!/usr/bin/env node
// Micro-benchmark of the Counters store (run `npm run build` first): reserve+settle cycles per
// second and per-cycle latency, for memory and Redis counters, with a realistic spend plan
// (tenant budget + soft global budget + $/min rolling limit = 3 entries, 6 prior keys) and with a
// single-entry plan. Usage: node bench/counters-bench.mjs [--redis-url URL] [--cycles N]
import { randomUUID } from 'node:crypto';
import { MemoryCounters } from '../dist/src/store/memory/memory-counters.js';
import { RedisCounters } from '../dist/src/store/redis/redis-counters.js';
import { planSpend, settleAmounts } from '../dist/src/core/spend-plan.js';

const arg = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
};
const redisUrl = arg('--redis-url', process.env.TOKENMETER_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const cycles = Number(arg('--cycles', '20000'));
const USD = 1_000_000_000_000;
const attribution = { feature: 'search', tenant: 'acme', user: null, team: null, task: null, template: null, env: null, tags: {} };
const policies = {
  budgets: [
    { id: 'acme', scope: { kind: 'tenant' }, limitPico: 1_000_000 * USD / 1000, window: { kind: 'calendar', period: 'month', timeZone: 'Europe/Paris' }, mode: 'hard', alertThresholds: [0.8], onExceed: 'reject' },
    { id: 'all', scope: { kind: 'global' }, limitPico: 10n ** 18n, window: { kind: 'calendar', period: 'day', timeZone: 'UTC' }, mode: 'soft', alertThresholds: [0.8], onExceed: 'reject' },
  ],
  rateLimits: [{ id: 'acme-rate', scope: { kind: 'tenant' }, spendPerMinutePico: 1000 * USD }],
  taskCaps: [], inputCaps: [], outputCaps: [],
};
const subject = { attribution, keyId: null, model: 'gpt-4o' };
const estimate = { inputTokens: 1000, outputTokens: 500, costPico: 7_500_000_000 };

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function sequential(counters, label, entriesFor) {
  const latencies = new Float64Array(cycles);
  const warm = Math.min(5000, cycles);
  for (let i = 0; i < warm; i++) await cycle(counters, `${label}-w-${i}`, entriesFor);
  const started = performance.now();
  for (let i = 0; i < cycles; i++) {
    const t = performance.now();
    await cycle(counters, `${label}-s-${i}`, entriesFor);
    latencies[i] = performance.now() - t;
  }
  const elapsed = performance.now() - started;
  latencies.sort();
  return { label, mode: 'sequential', opsPerSec: Math.round((cycles / elapsed) * 1000), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

async function concurrent(counters, label, entriesFor, inFlight = 64) {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < cycles) await cycle(counters, `${label}-c-${next++}`, entriesFor);
  }));
  const elapsed = performance.now() - started;
  return { label, mode: `${inFlight} in flight`, opsPerSec: Math.round((cycles / elapsed) * 1000), p50Ms: null, p99Ms: null };
}

const round = (ms) => Math.round(ms * 1000) / 1000;

async function cycle(counters, id, entriesFor) {
  const now = Date.now();
  const { entries, settle } = entriesFor(now);
  const result = await counters.reserve({ id, entries, leaseMs: 60_000, now });
  if (!result.ok) throw new Error(`unexpected refusal on ${result.key}`);
  await counters.settle(id, settle, now);
}

const fullPlan = (now) => {
  const plan = planSpend(policies, subject, estimate, now);
  return { entries: plan.reserves, settle: settleAmounts(plan, { inputTokens: 900, outputTokens: 300, costPico: 5_000_000_000 }) };
};
const single = (now) => ({ entries: [{ key: 'single', amount: 7_500_000, limit: Number.MAX_SAFE_INTEGER, ttlMs: 3_600_000 }], settle: 5_000_000 });

const rows = [];
const memory = new MemoryCounters();
rows.push(await sequential(memory, 'memory, 1 entry', single));
rows.push(await sequential(memory, 'memory, plan of 3 entries', fullPlan));
rows.push(await concurrent(memory, 'memory, plan of 3 entries', fullPlan));
await memory.close();

const prefix = `tm-bench:${randomUUID()}:`;
const redis = new RedisCounters({ url: redisUrl, prefix });
if (await redis.ready(2000)) {
  rows.push(await sequential(redis, 'redis, 1 entry', single));
  rows.push(await sequential(redis, 'redis, plan of 3 entries', fullPlan));
  rows.push(await concurrent(redis, 'redis, plan of 3 entries', fullPlan));
  const { Redis } = await import('ioredis');
  const admin = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [nextCursor, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length) await admin.del(...keys);
  } while (cursor !== '0');
  await admin.quit();
} else {
  console.error(`redis not reachable at ${redisUrl}: skipping the Redis rows`);
}
await redis.close();

console.log(`counters bench: ${cycles} reserve+settle cycles per row (node ${process.version})`);
console.table(rows);

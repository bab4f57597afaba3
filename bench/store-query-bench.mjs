#!/usr/bin/env node
// Report/dashboard query latency over the ledgers built by store-generate.mjs (10M events, 30 days), on
// SQLite and Postgres, through Ledger.report (so rollups + raw edges, as the CLI and dashboard use them).
// The 30-day range starts and ends mid-hour, so every query also reads two partial hours of raw events.
// Usage: npm run build && node bench/store-query-bench.mjs [--runs 20] [--engines sqlite,postgres]
//   [--sqlite-file bench/out/store/ledger-10m.db] [--database-url postgres://...?schema=tm_bench_10m] [--exact-p95]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const dist = new URL('../dist/src/store/', import.meta.url);
const load = (path) => import(new URL(path, dist).href).catch(() => {
  console.error('dist/ not found: run `npm run build` first');
  process.exit(1);
});
const { SqliteLedger } = await load('sqlite/sqlite-ledger.js');
const { PostgresLedger } = await load('postgres/postgres-ledger.js');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    'sqlite-file': { type: 'string', default: 'bench/out/store/ledger-10m.db' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test?schema=tm_bench_10m' },
    // Also compute the exact nearest-rank p95 by model from raw events (slow) to report the sketch's error.
    'exact-p95': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const generated = JSON.parse(readFileSync('bench/out/store/generate.json', 'utf8'));
const start = Date.parse(generated.range.since);
const end = Date.parse(generated.range.until);
const DAY = 86_400_000;
const range = { since: start + 17 * 60_000 + 3, until: end - 23 * 60_000 };

const queries = {
  'cost by feature by day (30 reports, one per day)': async (ledger) => {
    for (let day = start; day < end; day += DAY) await ledger.report({ since: day, until: day + DAY, by: 'feature' });
  },
  'top 10 tenants, 30 days': (ledger) => ledger.report({ ...range, by: 'tenant', limit: 10 }),
  'p95 input tokens by route (model), 30 days': (ledger) => ledger.report({ ...range, by: 'model' }),
  'p95 input tokens by endpoint, 30 days': (ledger) => ledger.report({ ...range, by: 'endpoint' }),
  'cost by day, 30 days': (ledger) => ledger.report({ ...range, by: 'day' }),
  'all tenants (500), 30 days': (ledger) => ledger.report({ ...range, by: 'tenant' }),
  'by user, last 24 h (raw events, no rollup)': (ledger) => ledger.report({ since: end - DAY - 17 * 60_000, until: end - 17 * 60_000, by: 'user', limit: 10 }),
};

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const results = [];
for (const engine of values.engines.split(',')) {
  const ledger = engine === 'sqlite'
    ? SqliteLedger.open(values['sqlite-file'])
    : await PostgresLedger.open(values['database-url'], { poolSize: 2 });
  for (const [name, run] of Object.entries(queries)) {
    const raw = name.includes('raw events');
    const count = raw ? Math.max(3, Math.floor(runs / 4)) : runs;
    for (let i = 0; i < 2; i++) await run(ledger);
    const times = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await run(ledger);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const row = { engine, query: name, runs: count, p50: +percentile(times, 0.5).toFixed(1), p95: +percentile(times, 0.95).toFixed(1), max: +times[times.length - 1].toFixed(1) };
    results.push(row);
    console.log(`${engine.padEnd(9)} ${name.padEnd(48)} p50 ${String(row.p50).padStart(7)} ms  p95 ${String(row.p95).padStart(7)} ms  max ${String(row.max).padStart(7)} ms`);
  }
  if (engine === 'postgres' && values['exact-p95']) {
    const sketched = new Map((await ledger.report({ ...range, by: 'model' })).map((r) => [r.key, r.p95InputTokens]));
    const { rows } = await ledger.pool.query(`SELECT COALESCE(served_model, requested_model) AS model,
        percentile_disc(0.95) WITHIN GROUP (ORDER BY input_uncached + cache_read + cache_write_5m + cache_write_1h) AS p95
      FROM usage_events WHERE ts >= $1 AND ts < $2 GROUP BY 1`, [range.since, range.until]);
    const errors = rows.map((r) => ({ model: r.model, exact: Number(r.p95), sketch: sketched.get(r.model), error: Math.abs(sketched.get(r.model) - Number(r.p95)) / Number(r.p95) }));
    results.push({ engine, query: 'p95 accuracy by model (sketch vs exact nearest rank)', errors });
    console.log(`p95 by model, sketch vs exact: max relative error ${(100 * Math.max(...errors.map((e) => e.error))).toFixed(2)}%`);
    for (const e of errors) console.log(`  ${String(e.model).padEnd(32)} exact ${e.exact}  sketch ${e.sketch}  (${(100 * e.error).toFixed(2)}%)`);
  }
  await ledger.close();
}
writeFileSync('bench/out/store/query.json', `${JSON.stringify({ date: new Date().toISOString(), range, results }, null, 2)}\n`);
console.log('wrote bench/out/store/query.json');

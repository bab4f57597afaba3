#!/usr/bin/env node
// Generates the report-benchmark ledgers: N events (default 10M) over 30 days from the seeded generator in
// store-dataset.mjs, appended through the real ledgers (so rollups are maintained exactly as at ingest).
// Takes minutes; prints progress. Run once, then `node bench/store-query-bench.mjs`.
// Usage: npm run build && node bench/store-generate.mjs [--events 10000000] [--engines sqlite,postgres]
//   [--sqlite-file bench/out/store/ledger-10m.db] [--database-url postgres://postgres@127.0.0.1:5432/test?schema=tm_bench_10m]
//   [--batch 1000] [--seed 42]
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createDataset } from './store-dataset.mjs';

const dist = new URL('../dist/src/store/', import.meta.url);
const load = (path) => import(new URL(path, dist).href).catch(() => {
  console.error('dist/ not found: run `npm run build` first');
  process.exit(1);
});
const { SqliteLedger } = await load('sqlite/sqlite-ledger.js');
const { PostgresLedger } = await load('postgres/postgres-ledger.js');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    'sqlite-file': { type: 'string', default: 'bench/out/store/ledger-10m.db' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test?schema=tm_bench_10m' },
    batch: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '42' },
  },
});
const total = Number(values.events);
const batch = Number(values.batch);
const seed = Number(values.seed);
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function openFresh(engine) {
  if (engine === 'sqlite') {
    const file = values['sqlite-file'];
    mkdirSync(dirname(file), { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    return SqliteLedger.open(file);
  }
  const url = new URL(values['database-url']);
  const schema = url.searchParams.get('schema');
  if (!schema) throw new Error('--database-url needs ?schema=NAME (the schema is dropped and recreated)');
  const probe = await PostgresLedger.open(url.toString());
  await probe.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  await probe.close();
  return PostgresLedger.open(url.toString(), { poolSize: 2 });
}

// Engines generated earlier with the same settings are kept in the summary (runs one engine at a time).
const previous = existsSync('bench/out/store/generate.json') ? JSON.parse(readFileSync('bench/out/store/generate.json', 'utf8')) : null;
const keep = previous && previous.events === total && previous.seed === seed ? previous.engines : {};
const summary = { date: new Date().toISOString(), events: total, batch, seed, engines: { ...keep } };
for (const engine of values.engines.split(',')) {
  const ledger = await openFresh(engine);
  const dataset = createDataset({ seed, total });
  summary.tokenSource = dataset.tokenSource;
  summary.range = { since: new Date(dataset.start).toISOString(), until: new Date(dataset.end).toISOString() };
  console.log(`${engine}: generating ${fmt(total)} events, tokens from ${dataset.tokenSource}`);
  const t0 = performance.now();
  let appendMs = 0;
  let lastPrint = 0;
  for (;;) {
    const events = dataset.next(batch);
    if (events.length === 0) break;
    const a = performance.now();
    await ledger.append(events);
    appendMs += performance.now() - a;
    const now = performance.now();
    if (now - lastPrint > 5000 || dataset.produced === total) {
      lastPrint = now;
      const rate = dataset.produced / ((now - t0) / 1000);
      const eta = (total - dataset.produced) / rate;
      process.stdout.write(`${engine}: ${fmt(dataset.produced)} / ${fmt(total)} (${((100 * dataset.produced) / total).toFixed(1)}%), ` +
        `${fmt(rate)} events/s overall, ${fmt(dataset.produced / (appendMs / 1000))} events/s in append, eta ${Math.ceil(eta)} s\n`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const result = { seconds: +seconds.toFixed(1), appendEventsPerSecond: Math.round(total / (appendMs / 1000)) };
  if (engine === 'sqlite') {
    ledger.db.pragma('wal_checkpoint(TRUNCATE)');
    ledger.db.exec('ANALYZE');
    result.bytes = statSync(values['sqlite-file']).size;
    result.rollupRows = ledger.db.prepare('SELECT COUNT(*) AS n FROM usage_rollups').get().n;
  } else {
    await ledger.pool.query('VACUUM ANALYZE usage_events');
    await ledger.pool.query('VACUUM ANALYZE usage_rollups');
    const { rows } = await ledger.pool.query(`SELECT pg_total_relation_size('usage_events') AS events, pg_total_relation_size('usage_rollups') AS rollups,
      (SELECT COUNT(*) FROM usage_rollups) AS rollup_rows`);
    Object.assign(result, { bytes: Number(rows[0].events), rollupBytes: Number(rows[0].rollups), rollupRows: Number(rows[0].rollup_rows) });
  }
  await ledger.close();
  summary.engines[engine] = { ...result, date: new Date().toISOString() };
  console.log(`${engine}: done in ${result.seconds} s (${fmt(result.appendEventsPerSecond)} events/s in append), ${fmt(result.bytes / 1e6)} MB, ${fmt(result.rollupRows)} rollup rows`);
}
mkdirSync('bench/out/store', { recursive: true });
writeFileSync('bench/out/store/generate.json', `${JSON.stringify(summary, null, 2)}\n`);
console.log('wrote bench/out/store/generate.json');

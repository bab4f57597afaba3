#!/usr/bin/env node
// Ledger ingest throughput into SQLite and Postgres, rollups included: the first N events of the 10M-event
// benchmark dataset (store-dataset.mjs, so the rollup fan-out is that of 10M events over 30 days), appended in
// batches like the LedgerWriter does, and end to end through LedgerWriter. Each path runs --runs times into a
// fresh file/schema; the median is reported (this machine's disk is noisy).
// Usage: npm run build && node bench/store-ingest-bench.mjs [--events 200000] [--batch 1000] [--runs 3]
//   [--engines sqlite,postgres] [--database-url postgres://postgres@127.0.0.1:5432/test] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDataset } from './store-dataset.mjs';

const dist = new URL('../dist/src/store/', import.meta.url);
const load = (path) => import(new URL(path, dist).href).catch(() => {
  console.error('dist/ not found: run `npm run build` first');
  process.exit(1);
});
const { SqliteLedger } = await load('sqlite/sqlite-ledger.js');
const { PostgresLedger } = await load('postgres/postgres-ledger.js');
const { LedgerWriter } = await load('ledger-writer.js');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    json: { type: 'boolean', default: false },
    // Tenants in the dataset (Zipf): the main driver of rollup rows per batch (default 500, as the 10M dataset).
    tenants: { type: 'string', default: '500' },
  },
});
const total = Number(values.events);
const batch = Number(values.batch);
const runs = Number(values.runs);
const dataset = createDataset({ total: 10_000_000, tenants: Number(values.tenants) });
const events = dataset.next(total);
const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-store-bench-'));
const schemas = [];
let sequence = 0;

async function open(engine, options = {}) {
  sequence += 1;
  if (engine === 'sqlite') return SqliteLedger.open(join(dir, `run-${sequence}.db`), options);
  const schema = `tm_ingest_bench_${process.pid}_${sequence}`;
  schemas.push(schema);
  return PostgresLedger.open(values['database-url'], { schema, poolSize: 4 });
}

async function timed(body) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

const paths = {
  /** ledger.append in batches, one after another (what one LedgerWriter does). */
  async append(engine) {
    const ledger = await open(engine);
    const t = await timed(async () => { for (let i = 0; i < total; i += batch) await ledger.append(events.slice(i, i + batch)); });
    if ((await ledger.count(all)) !== total) throw new Error('append lost events');
    await ledger.close();
    return t;
  },
  /** SQLite without its append thread: the transaction runs on the caller's thread (no event copy to a worker). */
  async 'append, no thread'(engine) {
    if (engine !== 'sqlite') return null;
    const ledger = await open(engine, { appendThread: false });
    const t = await timed(async () => { for (let i = 0; i < total; i += batch) await ledger.append(events.slice(i, i + batch)); });
    if ((await ledger.count(all)) !== total) throw new Error('append lost events');
    await ledger.close();
    return t;
  },
  /** enqueue everything into a LedgerWriter, then close (flush). */
  async writer(engine) {
    const ledger = await open(engine);
    const writer = new LedgerWriter(ledger, { maxBatch: batch, maxQueue: total + 1 });
    const t = await timed(async () => { for (const event of events) writer.enqueue(event); await writer.close(); });
    if ((await ledger.count(all)) !== total) throw new Error('writer lost events');
    await ledger.close();
    return t;
  },
  /** two replicas (two ledgers, own pools) appending halves at once into one database. */
  async 'two replicas'(engine) {
    if (engine !== 'postgres') return null;
    const first = await open(engine);
    const schema = schemas[schemas.length - 1];
    const second = await PostgresLedger.open(values['database-url'], { schema, poolSize: 4 });
    const t = await timed(() => Promise.all([first, second].map(async (ledger, r) => {
      for (let i = r * batch; i < total; i += 2 * batch) await ledger.append(events.slice(i, i + batch));
    })));
    if ((await first.count(all)) !== total) throw new Error('replicas lost events');
    await Promise.all([first.close(), second.close()]);
    return t;
  },
};

// Rollup rows one batch touches (hour rows of every rollup dimension; day rows come once a day), for the report.
const { RollupAccumulator } = await load('rollup-accumulator.js');
const probe = new RollupAccumulator();
for (const event of events.slice(0, batch)) probe.add(event);
const rollupRowsPerBatch = probe.hourRows().length;

const results = [];
try {
  for (const engine of values.engines.split(',')) {
    for (const [path, run] of Object.entries(paths)) {
      const samples = [];
      for (let r = 0; r < runs; r++) {
        const t = await run(engine);
        if (t) samples.push(t);
      }
      if (samples.length === 0) continue;
      results.push({
        engine, path, events: total, batch,
        eventsPerSecond: Math.round(total / median(samples.map((s) => s.seconds))),
        eventsPerCpuSecond: Math.round(total / median(samples.map((s) => s.cpuSeconds))),
        runs: samples.map((s) => Math.round(total / s.seconds)),
        rollupRowsPerBatch,
      });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (schemas.length > 0) {
    const cleanup = await PostgresLedger.open(values['database-url'], { schema: schemas[0] });
    for (const schema of schemas) await cleanup.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await cleanup.close();
  }
}

if (values.json) console.log(JSON.stringify({ tokenSource: dataset.tokenSource, results }));
else {
  console.log(`${total.toLocaleString('en-US')} events (first of the 10M/30-day dataset, ${values.tenants} tenants; tokens: ${dataset.tokenSource}), ` +
    `batch ${batch} (${rollupRowsPerBatch} rollup rows per batch), median of ${runs}`);
  for (const r of results) {
    console.log(`${r.engine.padEnd(9)} ${r.path.padEnd(17)} ${r.eventsPerSecond.toLocaleString('en-US').padStart(8)} events/s  ` +
      `(${r.eventsPerCpuSecond.toLocaleString('en-US')} per node CPU-s; runs ${r.runs.map((n) => n.toLocaleString('en-US')).join(', ')})`);
  }
}

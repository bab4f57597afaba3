#!/usr/bin/env node
// Ledger ingest throughput: realistic usage events into a fresh SQLite file (WAL, synchronous=NORMAL),
// through SqliteLedger.append in batches and end to end through LedgerWriter (enqueue all, then close).
// Id shape matters: random UUIDv4 ids scatter primary-key inserts over the whole index; time-ordered
// UUIDv7 ids (src/store/event-id.ts) append. Both are measured by default.
// Usage: npm run build && node bench/ledger-ingest-bench.mjs [--events 200000] [--batch 1000]
//          [--rows-per-statement 64] [--checkpoint 10000] [--ids both|uuid4|uuid7] [--report] [--json]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';

const dist = new URL('../dist/src/store/', import.meta.url);
const load = (path) => import(new URL(path, dist).href).catch(() => {
  console.error('dist/ not found: run `npm run build` first');
  process.exit(1);
});
const { SqliteLedger } = await load('sqlite/sqlite-ledger.js');
const { LedgerWriter } = await load('ledger-writer.js');
const { newEventId } = await load('event-id.js');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    'rows-per-statement': { type: 'string', default: '64' },
    checkpoint: { type: 'string', default: '10000' },
    ids: { type: 'string', default: 'both' },
    json: { type: 'boolean', default: false },
    // Also time report queries and events() streaming over the ingested table.
    report: { type: 'boolean', default: false },
  },
});
const total = Number(values.events);
const batch = Number(values.batch);
const ledgerOptions = { rowsPerStatement: Number(values['rows-per-statement']), walAutocheckpointPages: Number(values.checkpoint) };
const idModes = values.ids === 'both' ? ['uuid4', 'uuid7'] : [values.ids];
if (idModes.some((mode) => mode !== 'uuid4' && mode !== 'uuid7')) throw new Error('--ids must be both, uuid4 or uuid7');

const features = ['chat', 'search', 'summarize', 'classify', 'agent', null];
const tenants = Array.from({ length: 50 }, (_, i) => `tenant-${i}`);
const models = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5', 'claude-haiku-4-5'];
const start = Date.UTC(2026, 10, 1);

function makeEvents(idMode) {
  const events = new Array(total);
  for (let i = 0; i < total; i++) {
    const model = models[i % models.length];
    const input = 200 + ((i * 7919) % 6000);
    const cached = i % 3 === 0 ? 1024 : 0;
    const output = 50 + ((i * 104729) % 900);
    const ts = start + i * 13;
    events[i] = {
      id: idMode === 'uuid7' ? newEventId(ts) : randomUUID(),
      ts,
      latencyMs: 300 + (i % 2000),
      ttftMs: i % 2 ? 120 : null,
      provider: model.startsWith('claude') ? 'anthropic' : 'openai',
      endpoint: model.startsWith('claude') ? 'messages' : 'chat.completions',
      requestedModel: model,
      servedModel: `${model}-2025`,
      pricedModel: model,
      status: i % 97 === 0 ? 429 : 200,
      errorType: i % 97 === 0 ? 'rate_limit_error' : null,
      stream: i % 2 === 0,
      serviceTier: 'default',
      usage: { inputUncached: input, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0, output, reasoning: 0, webSearchRequests: 0 },
      rawUsage: `{"prompt_tokens":${input + cached},"completion_tokens":${output},"prompt_tokens_details":{"cached_tokens":${cached}}}`,
      estimated: false,
      cost: i % 50 === 0 ? null : { input: input * 150_000, cacheRead: cached * 75_000, cacheWrite: 0, output: output * 600_000, requestFees: 0, total: input * 150_000 + cached * 75_000 + output * 600_000 },
      attribution: {
        feature: features[i % features.length], tenant: tenants[i % tenants.length], user: `user-${i % 1000}`,
        team: i % 4 ? 'core' : null, task: `task-${Math.floor(i / 8)}`, template: 'summarize@v3', env: 'prod',
        tags: i % 5 === 0 ? { region: 'eu-west-1', experiment: 'b' } : {},
      },
      attempt: 1, retryOf: null, cacheStatus: 'none',
      footprint: { system: 400, tools: 0, history: Math.max(0, input - 500), lastUser: 100 },
      source: 'gateway', requestText: null, responseText: null,
    };
  }
  return events;
}

const all = { since: 0, until: Number.MAX_SAFE_INTEGER };

/** Wall and CPU time of an async body (CPU time is the steadier number on a shared machine). */
async function measure(body) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await body();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const rate = (n, s) => Math.round(n / s);

/** Times the read side over the whole table: grouped reports (with exact p95), unpriced, streaming. */
async function timeReads(ledger, ids) {
  const out = [];
  for (const by of ['feature', 'tenant', 'day', 'task']) {
    let groups = 0;
    const t = await measure(async () => { groups = (await ledger.report({ ...all, by })).length; });
    out.push({ path: `report by ${by}`, ids, events: total, seconds: +t.seconds.toFixed(3), groups });
  }
  const u = await measure(async () => { await ledger.unpriced(all); });
  out.push({ path: 'unpriced', ids, events: total, seconds: +u.seconds.toFixed(3) });
  let streamed = 0;
  const s = await measure(async () => { for await (const _ of ledger.events(all)) streamed += 1; });
  out.push({ path: 'events() stream', ids, events: streamed, seconds: +s.seconds.toFixed(3), eventsPerSecond: rate(streamed, s.seconds) });
  return out;
}
const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-bench-'));
const results = [];
try {
  for (const ids of idModes) {
    let events = makeEvents(ids);
    const file = join(dir, `append-${ids}.db`);
    let ledger = SqliteLedger.open(file, ledgerOptions);
    const append = await measure(async () => {
      for (let i = 0; i < total; i += batch) await ledger.append(events.slice(i, i + batch));
    });
    if ((await ledger.count(all)) !== total) throw new Error('append lost events');
    if (values.report) results.push(...(await timeReads(ledger, ids)));
    await ledger.close();
    results.push({ path: 'SqliteLedger.append', ids, events: total, seconds: +append.seconds.toFixed(3),
      eventsPerSecond: rate(total, append.seconds), eventsPerCpuSecond: rate(total, append.cpuSeconds),
      bytesPerEvent: Math.round(statSync(file).size / total) });

    events = makeEvents(ids);
    ledger = SqliteLedger.open(join(dir, `writer-${ids}.db`), ledgerOptions);
    const writer = new LedgerWriter(ledger, { maxBatch: batch, maxQueue: total + 1 });
    let enqueueNs = 0n;
    const e2e = await measure(async () => {
      const e0 = process.hrtime.bigint();
      for (let i = 0; i < total; i++) writer.enqueue(events[i]);
      enqueueNs = process.hrtime.bigint() - e0;
      await writer.close();
    });
    if ((await ledger.count(all)) !== total) throw new Error('writer lost events');
    await ledger.close();
    results.push({ path: 'LedgerWriter e2e', ids, events: total, seconds: +e2e.seconds.toFixed(3),
      eventsPerSecond: rate(total, e2e.seconds), eventsPerCpuSecond: rate(total, e2e.cpuSeconds),
      enqueueNsPerEvent: Number(enqueueNs / BigInt(total)), batches: writer.stats().batches });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (values.json) console.log(JSON.stringify({ batch, ...ledgerOptions, results }));
else {
  const fmt = (n) => n.toLocaleString('en-US');
  console.log(`${total} events, batch ${batch}, ${ledgerOptions.rowsPerStatement} rows/statement, wal_autocheckpoint ${ledgerOptions.walAutocheckpointPages}`);
  for (const r of results) {
    if (!r.eventsPerCpuSecond) {
      console.log(`${r.path.padEnd(20)} ${r.ids}  ${String(r.seconds).padStart(9)} s over ${fmt(r.events)} events${r.groups ? ` (${fmt(r.groups)} groups)` : ''}${r.eventsPerSecond ? `, ${fmt(r.eventsPerSecond)} events/s` : ''}`);
      continue;
    }
    const extra = r.bytesPerEvent ? `~${r.bytesPerEvent} B/event on disk` : `enqueue ${r.enqueueNsPerEvent} ns/event, ${r.batches} batches`;
    console.log(`${r.path.padEnd(20)} ${r.ids}  ${fmt(r.eventsPerSecond).padStart(9)} events/s wall  ${fmt(r.eventsPerCpuSecond).padStart(9)} events/CPU-s  (${r.seconds}s; ${extra})`);
  }
}

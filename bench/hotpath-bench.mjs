#!/usr/bin/env node
// Micro-benchmarks of gateway hot-path choices, measured in isolation (steadier than the end-to-end harness
// on a shared machine). Run after `npm run build`:  node bench/hotpath-bench.mjs [--body FILE] [--quick]
//   1. request-body decoding before JSON.parse: Buffer#toString('utf8') vs bodyText() (src/providers/utf8-text.ts)
//      vs no decoding (parseJsonBytes, src/providers/inspect-body-bytes.ts)
//   2. one upstream call through undici (client-side CPU per request, 16 in flight, against a local upstream in a
//      child process): no signal, an AbortController signal (what the proxy passes today), an EventEmitter signal
//   3. handing ledger events to the append thread: structured clone per event
// Prints best-of-N µs (1, 3) and median CPU µs per request over rounds (2).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fork, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { body: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const dist = new URL('../dist/src/', import.meta.url);
const { bodyText } = await import(new URL('providers/utf8-text.js', dist).href).catch(() => {
  console.error('dist/ not found: run `npm run build` first');
  process.exit(1);
});
const { parseJsonBytes } = await import(new URL('providers/inspect-body-bytes.js', dist).href);
const { Agent } = await import('undici');

// The shared bench body when ../shared/bench is present (5,480 bytes, 21 non-ASCII characters), else a similar one.
const fallback = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are Atlas, the operations assistant. Refunds over €500 need approval; reefer at 4°C; see §4.1 — thanks. '.repeat(12) },
    { role: 'user', content: 'Tracking log follows. '.repeat(150) },
  ],
});
function sharedBenchBody() {
  const shared = process.env.TOKENMETER_SHARED_BENCH ?? new URL('../../shared/bench', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-hotpath-'));
  try {
    const made = spawnSync(process.execPath, [join(shared, 'make-body.mjs'), dir], { stdio: 'ignore' });
    return made.status === 0 ? readFileSync(join(dir, 'chat.json')) : null;
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const body = values.body ? readFileSync(values.body) : sharedBenchBody() ?? Buffer.from(fallback);
const ROUNDS = values.quick ? 3 : 7;

function best(fn, n) {
  for (let i = 0; i < n / 4; i++) fn();
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e3 / n);
  }
  return min;
}
const fmt = (us) => `${us.toFixed(2).padStart(7)} µs`;

console.log(`node ${process.version}; request body ${body.length} bytes (${body.length - body.toString('utf8').length} bytes of multi-byte UTF-8)`);
console.log('\n1. request body -> JSON (best of rounds)');
const n1 = values.quick ? 5_000 : 20_000;
const toStr = best(() => body.toString('utf8'), n1);
const fast = best(() => bodyText(body), n1);
const parseStr = best(() => JSON.parse(body.toString('utf8')), n1);
const parseFast = best(() => JSON.parse(bodyText(body)), n1);
console.log(`   decode        toString('utf8') ${fmt(toStr)}   bodyText ${fmt(fast)}`);
console.log(`   decode+parse  toString('utf8') ${fmt(parseStr)}   bodyText ${fmt(parseFast)}   saves ${fmt(parseStr - parseFast)} per request`);
// What the gateway does since it inspects requests from their bytes (src/providers/inspect-body-bytes.ts).
const parseBytes = best(() => parseJsonBytes(body), n1);
console.log(`   latin1+parse  parseJsonBytes   ${fmt(parseBytes)}   saves ${fmt(parseFast - parseBytes)} per request over bodyText`);

console.log('\n2. one upstream call via undici, client CPU per request (median of rounds, 16 in flight)');
const upstream = fork(new URL('hotpath-upstream.mjs', import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const port = await new Promise((resolve) => upstream.once('message', resolve));
const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: null, pipelining: 1 });
const origin = `http://127.0.0.1:${port}`;
const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench', 'accept-encoding': 'identity', 'content-length': String(body.length) };
async function call(signal) {
  const response = await agent.request({ origin, path: '/v1/chat/completions', method: 'POST', headers, body, signal });
  const chunks = [];
  for await (const chunk of response.body) chunks.push(chunk);
  return chunks;
}
const variants = {
  'no signal': () => call(undefined),
  'AbortController signal': () => call(new AbortController().signal),
  'EventEmitter signal': () => call(new EventEmitter()),
};
async function cpuPerCall(fn, calls) {
  let left = calls;
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: 16 }, async () => { while (left-- > 0) await fn(); }));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / calls;
}
const calls = values.quick ? 2_000 : 6_000;
for (const fn of Object.values(variants)) await cpuPerCall(fn, 1_000);
const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(variants)) samples[name].push(await cpuPerCall(fn, calls));
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const base = median(samples['no signal']);
for (const [name, list] of Object.entries(samples)) {
  const m = median(list);
  console.log(`   ${name.padEnd(24)} ${fmt(m)}  (${m >= base ? '+' : ''}${(m - base).toFixed(1)} vs no signal; rounds ${list.map((x) => x.toFixed(0)).join(' ')})`);
}
upstream.kill();
await agent.close();

console.log('\n3. ledger events to the append thread: postMessage (structured clone) per event, batches of 400');
const event = {
  id: '019aa2c4-5e6f-7abc-9def-0123456789ab', ts: Date.now(), latencyMs: 31, ttftMs: null, provider: 'openai', endpoint: 'chat.completions',
  requestedModel: 'gpt-4o-mini', servedModel: 'gpt-4o-mini', pricedModel: 'gpt-4o-mini', status: 200, errorType: null, stream: false, serviceTier: 'default',
  usage: { inputUncached: 1303, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 64, reasoning: 0, webSearchRequests: 0 },
  rawUsage: '{"prompt_tokens":1303,"completion_tokens":64,"total_tokens":1367,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}',
  estimated: false, cost: { input: 195450000, cacheRead: 0, cacheWrite: 0, output: 38400000, requestFees: 0, total: 233850000 },
  attribution: { feature: 'bench', tenant: 't1', user: 'bench-user-1', team: null, task: null, template: null, env: null, tags: {} },
  attempt: 1, retryOf: null, cacheStatus: 'none', footprint: { system: 140, tools: 0, history: 1052, lastUser: 97 }, source: 'gateway', requestText: null, responseText: null,
};
const batch = Array.from({ length: 400 }, (_, i) => ({ ...event, id: `${event.id.slice(0, -3)}${String(i).padStart(3, '0')}` }));
const sink = new Worker('require("node:worker_threads").parentPort.on("message", () => {})', { eval: true });
await new Promise((resolve) => sink.once('online', resolve));
const perEvent = best(() => sink.postMessage(batch), values.quick ? 50 : 200) / batch.length;
console.log(`   ${fmt(perEvent)} per event on the caller's thread`);
await sink.terminate();

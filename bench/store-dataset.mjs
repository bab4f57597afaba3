// Seeded generator of realistic usage events for the store benchmarks.
// Token counts are drawn from the real traces in ../shared/data/traces/ when present (Azure LLM conversation
// trace for chat-like features, Mooncake/Kimi conversation trace for long-context features); otherwise from a
// synthetic log-normal with similar means, and `tokenSource` says so. Attribution is synthetic: Zipf-skewed
// tenants, features with their own templates/teams/models, users, multi-call tasks, 2% errors, 0.5% unpriced.
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const traces = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'data', 'traces');

/** Deterministic PRNG (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function loadTraces() {
  const azure = join(traces, 'azure_llm_2023_conv.csv.gz');
  const mooncake = join(traces, 'mooncake_fast25_conversation_trace.jsonl.gz');
  if (!existsSync(azure) || !existsSync(mooncake)) return null;
  const chat = gunzipSync(readFileSync(azure)).toString('utf8').trim().split('\n').slice(1)
    .map((line) => line.split(',')).map((c) => [Number(c[1]), Number(c[2])]).filter(([i, o]) => i >= 0 && o >= 0);
  const long = gunzipSync(readFileSync(mooncake)).toString('utf8').trim().split('\n')
    .map((line) => JSON.parse(line)).map((r) => [r.input_length, r.output_length]);
  return { chat, long };
}

function syntheticTraces(rand) {
  // Log-normal with means close to the real traces (chat ~1,150 in / 210 out; long ~12,000 in / 340 out).
  const logNormal = (mu, sigma) => Math.max(1, Math.round(Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand()))));
  const sample = (n, mi, si, mo, so) => Array.from({ length: n }, () => [logNormal(mi, si), logNormal(mo, so)]);
  return { chat: sample(20_000, 6.6, 0.9, 4.9, 0.9), long: sample(12_000, 9.1, 0.7, 5.5, 0.7) };
}

// Price per token in pico-USD (input, cached input, output) for the generated models.
const MODELS = [
  { model: 'gpt-4o-mini', provider: 'openai', endpoint: 'chat.completions', prices: [150_000, 75_000, 600_000] },
  { model: 'gpt-4o', provider: 'openai', endpoint: 'chat.completions', prices: [2_500_000, 1_250_000, 10_000_000] },
  { model: 'gpt-5', provider: 'openai', endpoint: 'responses', prices: [1_250_000, 125_000, 10_000_000] },
  { model: 'gpt-5-mini', provider: 'openai', endpoint: 'responses', prices: [250_000, 25_000, 2_000_000] },
  { model: 'text-embedding-3-small', provider: 'openai', endpoint: 'embeddings', prices: [20_000, 20_000, 0] },
  { model: 'claude-sonnet-4-5', provider: 'anthropic', endpoint: 'messages', prices: [3_000_000, 300_000, 15_000_000] },
  { model: 'claude-haiku-4-5', provider: 'anthropic', endpoint: 'messages', prices: [1_000_000, 100_000, 5_000_000] },
  { model: 'claude-opus-4-1', provider: 'anthropic', endpoint: 'messages', prices: [15_000_000, 1_500_000, 75_000_000] },
];

// Features: traffic weight, trace family, models (weighted), templates, team.
const FEATURES = [
  ['chat', 30, 'chat', [0, 0, 1, 6], ['chat@v7', 'chat@v8'], 'assistant'],
  ['search', 14, 'chat', [0, 4], ['search-answer@v3'], 'search'],
  ['summarize', 10, 'long', [6, 5], ['summarize@v3', 'summarize@v4'], 'docs'],
  ['classify', 9, 'chat', [0, 3], ['classify@v2'], 'platform'],
  ['agent', 8, 'long', [5, 5, 2, 7], ['agent-step@v12'], 'agents'],
  ['extract', 6, 'long', [3, 6], ['extract@v5'], 'docs'],
  ['translate', 5, 'chat', [1, 0], ['translate@v1'], 'platform'],
  ['code-review', 5, 'long', [5, 2], ['review@v2'], 'devtools'],
  ['email-draft', 4, 'chat', [0], ['email@v4'], 'assistant'],
  ['support-bot', 4, 'chat', [6, 0], ['support@v9', 'support@v10'], 'support'],
  ['rerank', 3, 'chat', [3], ['rerank@v1'], 'search'],
  [null, 2, 'chat', [0], [null], null],
];

function weightedPicker(weights, rand) {
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w) / total);
  return () => {
    const r = rand();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const hex = (n, width) => n.toString(16).padStart(width, '0');
const DIURNAL = 0.33;

/**
 * A generator of `total` events in time order over `days` days from `start` (diurnal traffic).
 * `next(n)` returns the next n events (fewer at the end). Ids are UUIDv7-shaped (time first).
 */
export function createDataset({ seed = 42, total = 10_000_000, days = 30, start = Date.UTC(2026, 9, 1), tenants = 500, users = 20_000 } = {}) {
  const rand = prng(seed);
  const real = loadTraces();
  const samples = real ?? syntheticTraces(prng(seed + 1));
  const tokenSource = real ? `real traces (Azure conv ${samples.chat.length} rows, Mooncake ${samples.long.length} rows)` : 'synthetic log-normal (../shared/data/traces/ not found)';
  const pickFeature = weightedPicker(FEATURES.map((f) => f[1]), rand);
  const pickTenant = weightedPicker(Array.from({ length: tenants }, (_, i) => 1 / (i + 1) ** 1.1), rand);
  const span = days * 86_400_000;
  let produced = 0;
  let ts = start;
  let taskSeq = 0;
  let openTask = null;
  function next(n) {
    const out = [];
    while (out.length < n && produced < total) {
      // Diurnal rate: twice as busy at 15:00 UTC as at 03:00.
      const hour = ((ts - start) % 86_400_000) / 3_600_000;
      const rate = 1 + DIURNAL * Math.sin(((hour - 9) / 24) * 2 * Math.PI);
      // Mean gap from the time and events left (self-correcting, so the last event lands near the end);
      // sqrt(1 - a^2) undoes the mean of 1 / rate over a day.
      const meanGap = ((start + span - ts) / (total - produced + 1)) * Math.sqrt(1 - DIURNAL ** 2);
      ts = Math.min(start + span - 1, ts + Math.round(-Math.log(1 - rand()) * meanGap / rate));
      const f = FEATURES[pickFeature()];
      const m = MODELS[f[3][Math.floor(rand() * f[3].length)]];
      const [context, generated] = samples[f[2]][Math.floor(rand() * samples[f[2]].length)];
      const embedding = m.endpoint === 'embeddings';
      const cachedShare = !embedding && rand() < 0.45 ? 0.5 + rand() * 0.45 : 0;
      const cacheRead = Math.floor(context * cachedShare);
      const cacheWrite5m = m.provider === 'anthropic' && rand() < 0.1 ? Math.floor(context * 0.2) : 0;
      const inputUncached = Math.max(0, context - cacheRead - cacheWrite5m);
      const output = embedding ? 0 : generated;
      const failed = rand() < 0.02;
      const unpriced = rand() < 0.005;
      const [pIn, pCached, pOut] = m.prices;
      const input = inputUncached * pIn;
      const cached = cacheRead * pCached;
      const write = Math.round(cacheWrite5m * pIn * 1.25);
      const outCost = output * pOut;
      const tenant = pickTenant();
      if (!openTask || openTask.left === 0 || rand() < 0.3) openTask = f[0] === 'agent' ? { id: `task-${++taskSeq}`, left: 3 + Math.floor(rand() * 8) } : null;
      if (openTask) openTask.left -= 1;
      const random = Math.floor(rand() * 2 ** 32);
      out.push({
        id: `${hex(Math.floor(ts / 65536), 8)}-${hex(ts % 65536, 4)}-7${hex(produced % 4096, 3)}-${hex(0x8000 | (random & 0x3fff), 4)}-${hex(random, 8)}${hex(produced & 0xffff, 4)}`,
        ts, latencyMs: 200 + Math.floor(output * 12 * rand()), ttftMs: embedding ? null : 150 + Math.floor(rand() * 400),
        provider: m.provider, endpoint: m.endpoint, requestedModel: m.model, servedModel: `${m.model}-2025-08-07`,
        pricedModel: unpriced ? null : m.model, status: failed ? (rand() < 0.5 ? 429 : 500) : 200,
        errorType: failed ? 'upstream_error' : null, stream: !embedding && rand() < 0.6, serviceTier: 'default',
        usage: { inputUncached, cacheRead, cacheWrite5m, cacheWrite1h: 0, output, reasoning: m.endpoint === 'responses' ? Math.floor(output * 0.3) : 0, webSearchRequests: 0 },
        rawUsage: null, estimated: rand() < 0.01,
        cost: unpriced ? null : { input, cacheRead: cached, cacheWrite: write, output: outCost, requestFees: 0, total: input + cached + write + outCost },
        attribution: {
          feature: f[0], tenant: tenant < tenants - 5 ? `tenant-${tenant}` : null, user: `user-${Math.floor(rand() * users)}`,
          team: f[5], task: openTask ? openTask.id : null, template: f[4][Math.floor(rand() * f[4].length)],
          env: rand() < 0.92 ? 'prod' : 'staging', tags: {},
        },
        attempt: 1, retryOf: null, cacheStatus: 'none', footprint: null, source: 'gateway', requestText: null, responseText: null,
      });
      produced += 1;
    }
    return out;
  }
  return { next, tokenSource, get produced() { return produced; }, start, end: start + span };
}

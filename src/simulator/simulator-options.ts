/** Kinds of injected failure; each can be forced per request (header or model name) or drawn at a rate. */
export type FaultKind = '429' | '500' | '503' | '529' | 'timeout' | 'reset' | 'malformed-sse' | 'error-event';

/** Every fault kind, in the order rates are drawn. */
export const FAULT_KINDS: readonly FaultKind[] = Object.freeze([
  '429',
  '500',
  '503',
  '529',
  'timeout',
  'reset',
  'malformed-sse',
  'error-event',
]);

/** Minimum cacheable prompt per Anthropic model prefix (reference table §2.2; longest prefix wins). */
export const DEFAULT_ANTHROPIC_CACHE_MIN_TOKENS: Readonly<Record<string, number>> = Object.freeze({
  'claude-opus-5': 512,
  'claude-fable-5': 512,
  'claude-opus-4-8': 1024,
  'claude-opus-4-1': 1024,
  'claude-opus-4-0': 1024,
  'claude-opus-4-2025': 1024,
  'claude-sonnet-4': 1024,
  'claude-sonnet-4-5': 1024,
  'claude-sonnet-4-6': 1024,
  'claude-3-7-sonnet': 1024,
  'claude-opus-4-7': 2048,
  'claude-3-5-haiku': 2048,
  'claude-3-haiku': 2048,
  'claude-opus-4-6': 4096,
  'claude-opus-4-5': 4096,
  'claude-haiku-4-5': 4096,
});

/** Everything that shapes the simulator's behaviour; validated once at start and frozen. */
export interface SimulatorOptions {
  /** Delay before the first byte (streaming: before the first event). Default 0. */
  ttftMs: number;
  /** Delay between stream events; non-streaming answers wait ttft + interChunkMs per chunk. Default 0. */
  interChunkMs: number;
  /** When > 0, replaces interChunkMs: generation pace in output tokens per second. Default 0 (off). */
  tokensPerSecond: number;
  /** Output tokens per streamed delta (OpenAI streams about one). Default 1. */
  tokensPerChunk: number;
  /** Fault probability per kind (each 0..1, total <= 1), drawn per request from the seeded PRNG. Default none. */
  faults: Readonly<Partial<Record<FaultKind, number>>>;
  /** Seed for answers, tool arguments, embeddings and fault draws. Default 42. */
  seed: number;
  /** Reject requests without an API key (401 in the provider's shape). Default true. */
  requireAuth: boolean;
  /** When non-empty, only these keys are accepted (others get 401 invalid key). Default [] (any key). */
  apiKeys: readonly string[];
  /** OpenAI automatic prompt-cache retention after last use. Default 600000 (10 min). */
  cacheTtlMs: number;
  /** Anthropic cache lifetimes per `ttl` (tests may shorten them). Default 5m / 1h. */
  anthropicCacheTtlMs: Readonly<{ '5m': number; '1h': number }>;
  /** Minimum cacheable length per Anthropic model prefix; entries given are merged over the reference table. */
  anthropicCacheMinTokens: Readonly<Record<string, number>>;
  /** Minimum cacheable length for Anthropic models matching no prefix. Default 1024. */
  anthropicCacheMinTokensDefault: number;
  /** Uncapped answer length: a fixed count or a range picked per prompt. Default 50..300. */
  outputTokens: number | Readonly<{ min: number; max: number }>;
  /** Embedding size when the request has no `dimensions` and the model is not a known OpenAI one. Default 256. */
  embeddingDimensions: number;
  /** Wait suggested by 429s (`retry-after-ms`; `retry-after` in whole seconds, rounded up). Default 1000. */
  retryAfterMs: number;
  /** Limits reported in rate-limit headers (per minute; never enforced). */
  rateLimits: Readonly<{ requestsPerMinute: number; tokensPerMinute: number }>;
  /** Batches (both providers) finish this long after creation, evaluated when next read. Default 0. */
  batchCompletionMs: number;
  /** Clock in epoch ms (ids' `created`, cache TTLs, rate windows); tests may pass a fake. Default Date.now. */
  now: () => number;
}

/** Defaults for tests and embedding; the CLI layers realistic latency on top. */
export const DEFAULT_SIMULATOR_OPTIONS: Readonly<SimulatorOptions> = Object.freeze({
  ttftMs: 0,
  interChunkMs: 0,
  tokensPerSecond: 0,
  tokensPerChunk: 1,
  faults: Object.freeze({}),
  seed: 42,
  requireAuth: true,
  apiKeys: Object.freeze([]),
  cacheTtlMs: 600_000,
  anthropicCacheTtlMs: Object.freeze({ '5m': 300_000, '1h': 3_600_000 }),
  anthropicCacheMinTokens: DEFAULT_ANTHROPIC_CACHE_MIN_TOKENS,
  anthropicCacheMinTokensDefault: 1024,
  outputTokens: Object.freeze({ min: 50, max: 300 }),
  embeddingDimensions: 256,
  retryAfterMs: 1000,
  rateLimits: Object.freeze({ requestsPerMinute: 10_000, tokensPerMinute: 30_000_000 }),
  batchCompletionMs: 0,
  now: Date.now,
});

function fail(name: string, problem: string): never {
  throw new Error(`simulator option "${name}" ${problem}`);
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(name, `must be a number >= 0 (got ${String(value)})`);
  return value;
}

function positiveInt(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) fail(name, `must be a whole number >= 1 (got ${String(value)})`);
  return value as number;
}

/** Merges `partial` over the defaults, validates every field (naming the bad one) and freezes. */
export function resolveSimulatorOptions(partial: Partial<SimulatorOptions> = {}): Readonly<SimulatorOptions> {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const o: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, ...defined };
  // A partial table refines the reference minimums rather than dropping them.
  o.anthropicCacheMinTokens = { ...DEFAULT_ANTHROPIC_CACHE_MIN_TOKENS, ...(partial.anthropicCacheMinTokens ?? {}) };
  nonNegative('ttftMs', o.ttftMs);
  nonNegative('interChunkMs', o.interChunkMs);
  nonNegative('tokensPerSecond', o.tokensPerSecond);
  positiveInt('tokensPerChunk', o.tokensPerChunk);
  if (!Number.isInteger(o.seed)) fail('seed', `must be a whole number (got ${String(o.seed)})`);
  nonNegative('cacheTtlMs', o.cacheTtlMs);
  nonNegative('anthropicCacheTtlMs.5m', o.anthropicCacheTtlMs?.['5m']);
  nonNegative('anthropicCacheTtlMs.1h', o.anthropicCacheTtlMs?.['1h']);
  nonNegative('anthropicCacheMinTokensDefault', o.anthropicCacheMinTokensDefault);
  for (const [model, min] of Object.entries(o.anthropicCacheMinTokens ?? {})) nonNegative(`anthropicCacheMinTokens.${model}`, min);
  if (typeof o.outputTokens === 'number') positiveInt('outputTokens', o.outputTokens);
  else {
    positiveInt('outputTokens.min', o.outputTokens?.min);
    positiveInt('outputTokens.max', o.outputTokens?.max);
    if (o.outputTokens.max < o.outputTokens.min) fail('outputTokens', 'max must be >= min');
  }
  positiveInt('embeddingDimensions', o.embeddingDimensions);
  nonNegative('retryAfterMs', o.retryAfterMs);
  nonNegative('batchCompletionMs', o.batchCompletionMs);
  positiveInt('rateLimits.requestsPerMinute', o.rateLimits?.requestsPerMinute);
  positiveInt('rateLimits.tokensPerMinute', o.rateLimits?.tokensPerMinute);
  if (typeof o.now !== 'function') fail('now', 'must be a function returning epoch milliseconds');
  if (typeof o.requireAuth !== 'boolean') fail('requireAuth', 'must be true or false');
  if (!Array.isArray(o.apiKeys)) fail('apiKeys', 'must be an array of strings');
  let total = 0;
  for (const [kind, rate] of Object.entries(o.faults ?? {})) {
    if (!FAULT_KINDS.includes(kind as FaultKind)) fail(`faults.${kind}`, `is not a fault kind (${FAULT_KINDS.join(', ')})`);
    if (nonNegative(`faults.${kind}`, rate) > 1) fail(`faults.${kind}`, 'must be <= 1');
    total += rate as number;
  }
  if (total > 1 + 1e-9) fail('faults', `rates must sum to <= 1 (got ${total})`);
  return Object.freeze({
    ...o,
    faults: Object.freeze({ ...o.faults }),
    apiKeys: Object.freeze([...o.apiKeys]),
    anthropicCacheTtlMs: Object.freeze({ ...o.anthropicCacheTtlMs }),
    anthropicCacheMinTokens: Object.freeze({ ...o.anthropicCacheMinTokens }),
    outputTokens: typeof o.outputTokens === 'number' ? o.outputTokens : Object.freeze({ ...o.outputTokens }),
    rateLimits: Object.freeze({ ...o.rateLimits }),
  });
}

/** The minimum cacheable prompt for an Anthropic model (longest configured prefix, else the default). */
export function anthropicCacheMinTokens(options: Readonly<SimulatorOptions>, model: string): number {
  let best = -1;
  let value = options.anthropicCacheMinTokensDefault;
  for (const [prefix, min] of Object.entries(options.anthropicCacheMinTokens)) {
    if (model.startsWith(prefix) && prefix.length > best) {
      best = prefix.length;
      value = min;
    }
  }
  return value;
}

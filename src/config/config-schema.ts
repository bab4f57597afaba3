import { z } from 'zod';
import { spendConfigSchema } from './spend-config-schema.js';
import { DEFAULT_MAX_BATCH } from '../store/ledger-writer.js';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

/** A price row an operator adds or overrides (negotiated rates, private models); same shape as prices/catalog.json. */
const priceOverride = z.strictObject({
  model: z.string().min(1),
  provider: z.string().min(1),
  aliases: z.array(z.string()).optional(),
  kind: z.enum(['chat', 'embedding']).default('chat'),
  effectiveFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').default('1970-01-01'),
  source: z.string().default('operator config'),
  input: z.union([z.string(), z.number()]).transform(String),
  output: z.union([z.string(), z.number()]).transform(String).optional(),
  cacheRead: z.union([z.string(), z.number()]).transform(String).optional(),
  cacheWrite5m: z.union([z.string(), z.number()]).transform(String).optional(),
  cacheWrite1h: z.union([z.string(), z.number()]).transform(String).optional(),
  batchInput: z.union([z.string(), z.number()]).transform(String).optional(),
  batchOutput: z.union([z.string(), z.number()]).transform(String).optional(),
});

const provider = (defaultUrl: string, defaultKeyEnv: string) =>
  z
    .strictObject({
      /** Base URL of the provider's API (OpenAI: including /v1; Anthropic: without it). */
      baseUrl: z.url().default(defaultUrl),
      /** Name of the environment variable holding a server-side provider key (the key itself never goes in config). */
      apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name').default(defaultKeyEnv),
    })
    .prefault({});

/** The whole tokenmeter.yaml. Every key is optional; unknown keys are errors. */
export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(4000),
      /** Largest accepted request body; larger requests get 413. */
      bodyLimitBytes: positiveInt.default(10 * 1024 * 1024),
      /** How long to wait for the upstream's response headers (and between body chunks). */
      upstreamTimeoutMs: positiveInt.default(600_000),
      /**
       * `tokenmeter start` first runs calls through its own request path to a provider stand-in, over this many
       * loopback connections that open and close, so V8's optimized code has seen connections come and go before
       * traffic does (see connection-warm-up.ts); nothing is recorded. 0 turns it off. Not done by startGateway().
       */
      warmUpConnections: z.number().int().min(0).max(64).default(8),
      /**
       * `tokenmeter start` on Linux: 'adaptive' runs V8's compiler and GC threads (and libuv's pool) at nice 19 while
       * the event loop has idle time, so they yield to requests, and at their normal priority while it is
       * saturated (see cli/helper-thread-priority.ts); 'normal' leaves them alone. Not done by startGateway().
       */
      helperThreads: z.enum(['adaptive', 'normal']).default('adaptive'),
    })
    .prefault({}),
  providers: z
    .strictObject({
      openai: provider('https://api.openai.com/v1', 'OPENAI_API_KEY'),
      anthropic: provider('https://api.anthropic.com', 'ANTHROPIC_API_KEY'),
    })
    .prefault({}),
  store: z
    .strictObject({
      kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
      /** SQLite file (embedded default). */
      path: z.string().min(1).default('./.tokenmeter/tokenmeter.db'),
      /** Postgres connection URL; prefer TOKENMETER_DATABASE_URL so credentials stay out of files. */
      url: z.string().optional(),
    })
    .prefault({}),
  ledger: z
    .strictObject({
      /** Events per batch; small batches die young in V8 (see LedgerWriterOptions.maxBatch). */
      maxBatch: positiveInt.default(DEFAULT_MAX_BATCH),
      flushIntervalMs: positiveInt.default(50),
      maxQueue: positiveInt.default(100_000),
      /** What happens when the queue is full: flush at once (never lose) or drop and count. */
      overflow: z.enum(['flush', 'drop']).default('flush'),
      /**
       * SQLite only: write batches on a low-priority worker thread so inserts, commits and checkpoints never pause
       * request handling. auto (default) and on: a thread; off: on the event loop, in transactions of up to 256 rows
       * (no second V8 isolate, but every batch delays the requests it overlaps; see README "Latency and memory").
       */
      appendThread: z.enum(['auto', 'on', 'off']).default('auto'),
    })
    .prefault({}),
  memory: z
    .strictObject({
      /**
       * `tokenmeter start` only: the most V8's young generation (new space, both semi-spaces) may grow to, in MiB.
       * V8's default lets it reach 32 MiB under load. 0 leaves V8's own sizing alone.
       */
      youngGenerationMiB: z.number().int().nonnegative().default(16),
      /**
       * `tokenmeter start` only: how far (in %) V8's old generation may grow past what survived the last full
       * collection before the next one. A smaller young generation promotes more, so the two go together: 16 MiB
       * and 50 % lowered the benchmark's peak resident memory from ~152 to ~136 MiB (README "Latency and memory").
       * 0 leaves V8's own factor (1.1x-4x).
       */
      oldGenerationGrowthPercent: z.number().int().nonnegative().default(50),
    })
    .prefault({}),
  privacy: z
    .strictObject({
      /** Store prompt and completion text in the ledger. Off by default. */
      captureText: z.boolean().default(false),
    })
    .prefault({}),
  prices: z
    .strictObject({
      overrides: z.array(priceOverride).default([]),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /**
       * open: callers pass provider keys, no virtual keys; keys: every call needs a tokenmeter virtual key;
       * auto (default): keys as soon as one virtual key exists in the store.
       */
      mode: z.enum(['auto', 'open', 'keys']).default('auto'),
      /** Environment variable holding the admin API token. */
      adminTokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('TOKENMETER_ADMIN_TOKEN'),
      /** How long a replica trusts its cached copy of a key (revocations reach other replicas within this). */
      keyCacheMs: z.number().int().nonnegative().default(5000),
    })
    .prefault({}),
  counters: z
    .strictObject({
      /** Shared counters for several replicas; prefer --redis-url or TOKENMETER_REDIS_URL. */
      redisUrl: z.string().optional(),
      /** When Redis is unreachable: refuse metered calls (fail-closed) or count locally (fail-open). */
      onUnavailable: z.enum(['fail-closed', 'fail-open']).default('fail-closed'),
      prefix: z.string().default('tokenmeter:'),
      /** How long a reservation outlives a crashed gateway before it heals; default 2 x upstreamTimeoutMs + 60 s. */
      leaseMs: z.number().int().positive().optional(),
    })
    .prefault({}),
  ...spendConfigSchema,
  retention: z
    .strictObject({
      /** Days raw events are kept (unset: forever). Reports by user or task, and exports, need raw events. */
      rawDays: positiveInt.optional(),
      /** Days hour/day rollups are kept (unset: forever); keep them at least as long as raw events. */
      rollupDays: positiveInt.optional(),
      /** A running gateway prunes every this many minutes when a retention is set (0 = only `tokenmeter prune`). */
      pruneEveryMinutes: z.number().int().nonnegative().default(360),
    })
    .refine((r) => r.rawDays === undefined || r.rollupDays === undefined || r.rollupDays >= r.rawDays, {
      message: 'rollupDays must be >= rawDays (rollups outlive the raw events they summarize)',
      path: ['rollupDays'],
    })
    .prefault({}),
  retries: z
    .strictObject({
      /** Total attempts per call at the gateway (1 = no gateway retries; the SDKs retry on their own). */
      maxAttempts: z.number().int().min(1).max(10).default(1),
      retryOn: z.array(z.number().int().min(400).max(599)).default([429, 500, 502, 503, 504, 529]),
      backoffMs: z.number().int().nonnegative().default(250),
      maxBackoffMs: z.number().int().nonnegative().default(4000),
      /** Upper bound of retries as a fraction of first attempts in flight (a retry budget against storms). */
      budgetRatio: z.number().min(0).max(1).default(0.2),
      /** Models to try, in order, when every attempt on the requested model failed with a retryable status. */
      fallbacks: z.record(z.string(), z.array(z.string())).default({}),
    })
    .prefault({}),
});

/** Validated, defaulted configuration (frozen after load). */
export type TokenmeterConfig = z.infer<typeof configSchema>;

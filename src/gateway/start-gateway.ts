import type { TokenmeterConfig } from '../config/config-schema.js';
import { loadPriceCatalog } from '../config/load-prices.js';
import { openLedger } from '../store/open-ledger.js';
import { LedgerWriter } from '../store/ledger-writer.js';
import type { Ledger } from '../store/ledger.js';
import { UpstreamClient } from './upstream-client.js';
import { createLogger, type Logger } from './logger.js';
import { startGatewayServer } from './gateway-server.js';
import { ENDPOINT_ADAPTERS } from '../providers/endpoint-adapters.js';
import type { GatewayContext } from './gateway-context.js';
import { keyStoreFor } from '../store/open-key-store.js';
import { outcomeStoreFor } from '../store/open-outcome-store.js';
import { registerTokenmeterApi } from './ingest-api.js';
import { AuthGate } from './auth-gate.js';
import { SpendControl } from './spend-control.js';
import { RetryBudget } from '../core/retry-policy.js';
import { toSpendPolicies } from '../config/spend-config-schema.js';
import { assertValidPolicies } from '../core/spend-policy.js';
import type { Counters } from '../store/counters.js';
import { MemoryCounters } from '../store/memory/memory-counters.js';

/** A running gateway with its ledger; `close` drains requests, then flushes every queued event. */
export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly ledger: Ledger;
  readonly writer: LedgerWriter;
  readonly context: GatewayContext;
  close(): Promise<void>;
}

/** Wires config -> catalog, ledger, writer, upstream pool and HTTP server, and starts listening. */
export async function startGateway(config: TokenmeterConfig, options: { log?: Logger; env?: NodeJS.ProcessEnv } = {}): Promise<RunningGateway> {
  const log = options.log ?? createLogger();
  const env = options.env ?? process.env;
  const catalog = loadPriceCatalog(config.prices.overrides);
  const ledger = await openLedger(config.store.kind === 'postgres'
    ? { databaseUrl: config.store.url }
    : { db: config.store.path, sqlite: { appendThread: appendThreadOption(config.ledger.appendThread) } });
  // Before the first request: a SQLite append thread started by the first batch would start under load.
  ledger.prepareForAppends?.();
  const writer = new LedgerWriter(ledger, {
    maxBatch: config.ledger.maxBatch,
    flushIntervalMs: config.ledger.flushIntervalMs,
    maxQueue: config.ledger.maxQueue,
    overflow: config.ledger.overflow,
  });
  const upstream = new UpstreamClient(config.server.upstreamTimeoutMs);
  const policies = toSpendPolicies(config);
  assertValidPolicies(policies);
  // ioredis (~7 MiB of heap) is loaded only when Redis is configured.
  const counters: Counters = config.counters.redisUrl
    ? new (await import('../store/redis/redis-counters.js')).RedisCounters({ url: config.counters.redisUrl, prefix: config.counters.prefix, onUnavailable: config.counters.onUnavailable, log: (level: 'warn' | 'info', message: string) => log[level](message) })
    : new MemoryCounters();
  const keys = keyStoreFor(ledger);
  const auth = new AuthGate(config.auth.mode, keys, config.auth.keyCacheMs);
  await auth.init();
  // A hold must outlive the longest call it covers, or it would heal itself while the call still runs.
  const leaseMs = config.counters.leaseMs ?? config.server.upstreamTimeoutMs * 2 + 60_000;
  const spend = new SpendControl(policies, counters, catalog, leaseMs, log, (alert) =>
    log.warn('budget threshold crossed', { policy: alert.policyId, scope: alert.scope.kind, value: alert.scopeValue, threshold: alert.threshold, spent_usd: Number(alert.spentPico) / 1e12, limit_usd: Number(alert.limitPico) / 1e12 }),
  );
  const serverKeys: GatewayContext['serverKeys'] = {};
  const openaiKey = env[config.providers.openai.apiKeyEnv];
  const anthropicKey = env[config.providers.anthropic.apiKeyEnv];
  if (openaiKey) serverKeys.openai = openaiKey;
  if (anthropicKey) serverKeys.anthropic = anthropicKey;
  const context: GatewayContext = {
    config,
    catalog,
    sink: writer,
    upstream,
    log,
    adapters: ENDPOINT_ADAPTERS,
    serverKeys,
    auth,
    keys,
    spend,
    retryBudget: new RetryBudget(config.retries.budgetRatio),
    upstreamBase: {
      openai: config.providers.openai.baseUrl.replace(/\/+$/, ''),
      anthropic: config.providers.anthropic.baseUrl.replace(/\/+$/, ''),
    },
  };
  registerTokenmeterApi(context, { ledger, outcomes: outcomeStoreFor(ledger) });
  const server = await startGatewayServer(context, config.server.host, config.server.port);
  log.info('gateway started', {
    ledger: config.store.kind === 'sqlite' ? config.store.path : 'postgres',
    openai: context.upstreamBase.openai,
    anthropic: context.upstreamBase.anthropic,
    serverKeys: Object.keys(serverKeys),
    auth: auth.keysRequired ? 'virtual keys required' : 'open (no virtual keys configured): callers pass their own provider keys',
    counters: config.counters.redisUrl ? 'redis (shared across replicas)' : 'memory (this process only)',
    policies: { budgets: policies.budgets.length, rateLimits: policies.rateLimits.length, taskCaps: policies.taskCaps.length },
  });
  let closing: Promise<void> | null = null;
  return {
    url: server.url,
    port: server.port,
    ledger,
    writer,
    context,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        auth.close();
        await writer.close();
        await upstream.close();
        await counters.close();
        await ledger.close();
      })()),
  };
}

/** 'auto' leaves the choice to the SQLite ledger. */
function appendThreadOption(setting: 'auto' | 'on' | 'off'): boolean | undefined {
  return setting === 'auto' ? undefined : setting === 'on';
}

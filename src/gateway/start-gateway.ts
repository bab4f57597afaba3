import type { TokenmeterConfig } from '../config/config-schema.js';
import { loadPriceCatalog } from '../config/load-prices.js';
import { openLedger } from '../store/open-ledger.js';
import { LedgerWriter } from '../store/ledger-writer.js';
import type { Ledger } from '../store/ledger.js';
import { UpstreamClient } from './upstream-client.js';
import { createLogger, type Logger } from './logger.js';
import { startGatewayServer } from './gateway-server.js';
import { ENDPOINT_ADAPTERS } from './provider-adapters.js';
import type { GatewayContext } from './gateway-context.js';

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
  const ledger = await openLedger(config.store.kind === 'postgres' ? { databaseUrl: config.store.url } : { db: config.store.path });
  const writer = new LedgerWriter(ledger, {
    maxBatch: config.ledger.maxBatch,
    flushIntervalMs: config.ledger.flushIntervalMs,
    maxQueue: config.ledger.maxQueue,
    overflow: config.ledger.overflow,
  });
  const upstream = new UpstreamClient(config.server.upstreamTimeoutMs);
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
    upstreamBase: {
      openai: config.providers.openai.baseUrl.replace(/\/+$/, ''),
      anthropic: config.providers.anthropic.baseUrl.replace(/\/+$/, ''),
    },
  };
  const server = await startGatewayServer(context, config.server.host, config.server.port);
  log.info('gateway started', {
    ledger: config.store.kind === 'sqlite' ? config.store.path : 'postgres',
    openai: context.upstreamBase.openai,
    anthropic: context.upstreamBase.anthropic,
    serverKeys: Object.keys(serverKeys),
    auth: 'open (no virtual keys configured): callers pass their own provider keys',
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
        await writer.close();
        await upstream.close();
        await ledger.close();
      })()),
  };
}

import type { PriceCatalog } from '../core/price-catalog.js';
import type { Endpoint } from '../core/usage-event.js';
import type { TokenmeterConfig } from '../config/config-schema.js';
import type { EndpointAdapter } from '../providers/endpoint-adapter.js';
import type { Logger } from './logger.js';
import type { UpstreamClient } from './upstream-client.js';
import type { EventSink } from '../core/usage-event-builder.js';
import type { ApiFamily } from './error-catalog.js';
import type { AuthGate } from './auth-gate.js';
import type { SpendControl } from './spend-control.js';
import type { KeyStore } from '../store/key-store.js';
import type { RetryBudget } from '../core/retry-policy.js';

/** Everything a request handler needs, built once at start-up. */
export interface GatewayContext {
  config: TokenmeterConfig;
  catalog: PriceCatalog;
  sink: EventSink;
  upstream: UpstreamClient;
  log: Logger;
  adapters: Partial<Record<Endpoint, EndpointAdapter>>;
  /** Server-held provider keys read from the environment (never logged). */
  serverKeys: Partial<Record<ApiFamily, string>>;
  /** Base URLs without trailing slash: OpenAI's includes /v1, Anthropic's does not. */
  upstreamBase: Record<ApiFamily, string>;
  auth: AuthGate;
  keys: KeyStore;
  spend: SpendControl;
  retryBudget: RetryBudget;
}

/** The provider URL for a gateway path (query string kept). */
export function upstreamUrl(ctx: GatewayContext, family: ApiFamily, url: string): string {
  // OpenAI bases end in /v1 (or a deployment path) so the /v1 of our route is replaced by the base.
  return family === 'openai' ? ctx.upstreamBase.openai + url.slice(3) : ctx.upstreamBase.anthropic + url;
}

import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import type { EventEmitter } from 'node:events';
import { GatewayError } from './error-catalog.js';

/** A response from the provider, body still streaming. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Aborts an upstream call when it fires: an AbortSignal, or an EventEmitter emitting 'abort' (undici accepts
 * both; an emitter costs ~0.1 µs where an AbortController + listener costs ~4 µs per request).
 */
export type UpstreamAbortSignal = AbortSignal | EventEmitter;

/** Sends requests to providers over pooled keep-alive connections (undici). */
export class UpstreamClient {
  private readonly agent: Agent;

  constructor(timeoutMs: number) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connections: null,
      pipelining: 1,
    });
  }

  /**
   * Sends one request; network failures become 502/504 GatewayErrors that name the upstream. `signal`
   * may be an AbortSignal or, cheaper on the hot path, any EventEmitter that emits 'abort'.
   */
  async send(url: string, method: string, headers: Record<string, string | string[]>, body: Buffer | string | null, signal?: UpstreamAbortSignal): Promise<UpstreamResponse> {
    try {
      const response = await this.agent.request({
        origin: originOf(url),
        path: pathOf(url),
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      throw toGatewayError(error, url);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

const originCache = new Map<string, [string, string]>();
function split(url: string): [string, string] {
  // Upstream bases are few; cache the parse per prefix-free URL string.
  let parts = originCache.get(url);
  if (!parts) {
    const parsed = new URL(url);
    parts = [parsed.origin, parsed.pathname + parsed.search];
    if (originCache.size < 1000) originCache.set(url, parts);
  }
  return parts;
}
const originOf = (url: string) => split(url)[0];
const pathOf = (url: string) => split(url)[1];

/** Maps an undici/network error to the gateway's error catalog. */
export function toGatewayError(error: unknown, url: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const host = safeHost(url);
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || error instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError('upstream_timeout', `the upstream provider at ${host} did not answer in time; retry later or raise server.upstreamTimeoutMs`);
  }
  const code = (error as { code?: string })?.code ?? 'unknown';
  return new GatewayError('upstream_unreachable', `could not reach the upstream provider at ${host} (${code}); check providers.*.baseUrl and that the provider is up`);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'upstream';
  }
}

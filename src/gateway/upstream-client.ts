import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { EventEmitter } from 'node:events';
import { GatewayError } from './error-catalog.js';
import { IdleDeadlines, type IdleWatch } from './idle-deadlines.js';

/** A response from the provider, body still streaming. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Aborts an upstream call when it emits 'abort'. undici accepts an EventEmitter as its signal: ~0.1 µs per request
 * where an AbortController + listener costs ~4 µs.
 */
export type UpstreamAbortSignal = EventEmitter;

/** Sends requests to providers over pooled keep-alive connections (undici). */
export class UpstreamClient {
  private readonly agent: Agent;
  private readonly idle: IdleDeadlines;

  /** `timeoutMs`: how long an upstream may stay silent, before its answer's headers or between body chunks. */
  constructor(timeoutMs: number) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      // Silence is watched by IdleDeadlines (one timer for all calls) instead of two undici timers per request.
      headersTimeout: 0,
      bodyTimeout: 0,
      connections: null,
      pipelining: 1,
    });
    this.idle = new IdleDeadlines(timeoutMs);
  }

  /**
   * Sends one request; network failures become 502 GatewayErrors and silence longer than the timeout a 504, naming
   * the upstream. A body that goes silent is destroyed with undici's BodyTimeoutError (code UND_ERR_BODY_TIMEOUT).
   * `signal`, when given, aborts the call when it emits 'abort'.
   */
  async send(url: string, method: string, headers: Record<string, string | string[]>, body: Buffer | string | null, signal?: UpstreamAbortSignal): Promise<UpstreamResponse> {
    const watch = new UpstreamWatch(signal ?? new EventEmitter());
    this.idle.watch(watch);
    try {
      const response = await this.agent.request({
        origin: originOf(url),
        path: pathOf(url),
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: watch.abort,
      });
      watch.body = response.body;
      this.idle.touch(watch);
      response.body.on('close', () => this.idle.unwatch(watch));
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      this.idle.unwatch(watch);
      if (watch.expired) throw new GatewayError('upstream_timeout', timeoutMessage(url));
      throw toGatewayError(error, url);
    }
  }

  close(): Promise<void> {
    this.idle.close();
    return this.agent.close();
  }
}

/** One call as IdleDeadlines sees it: waiting for headers (aborted on silence), then its body (destroyed on silence). */
class UpstreamWatch implements IdleWatch {
  seenAt = 0;
  seenProgress = 0;
  expired = false;
  body: Dispatcher.ResponseData['body'] | null = null;

  constructor(readonly abort: EventEmitter) {}

  progress(): number {
    return this.body === null ? 0 : bytesReceived(this.body);
  }

  expire(): void {
    this.expired = true;
    if (this.body === null) this.abort.emit('abort');
    else this.body.destroy(new undiciErrors.BodyTimeoutError());
  }
}

let bytesReadKey: symbol | null | undefined;
/**
 * Bytes undici has pushed into a response body so far: its BodyReadable counts them under a private symbol, found
 * once by name. Without it (another undici), every sweep counts as progress: bodies are then never cut for silence,
 * rather than cut while data flows (a unit test pins the symbol, so an upgrade that renames it fails there).
 */
export function bytesReceived(body: object): number {
  if (bytesReadKey === undefined) bytesReadKey = Object.getOwnPropertySymbols(body).find((key) => key.description === 'kBytesRead') ?? null;
  if (bytesReadKey === null) return ++fallbackProgress;
  const value = (body as Record<symbol, unknown>)[bytesReadKey];
  return typeof value === 'number' ? value : ++fallbackProgress;
}
let fallbackProgress = 0;

function timeoutMessage(url: string): string {
  return `the upstream provider at ${safeHost(url)} did not answer in time; retry later or raise server.upstreamTimeoutMs`;
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
    return new GatewayError('upstream_timeout', timeoutMessage(url));
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

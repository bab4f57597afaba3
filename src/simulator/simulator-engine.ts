import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { BatchStore } from './batch-store.js';
import { IdGenerator } from './deterministic-hash.js';
import { FaultInjector } from './fault-injector.js';
import { PrefixCacheStore } from './prompt-cache-model.js';
import { RateLimitTracker } from './rate-limit-headers.js';
import { checkAnthropicVersion, checkAuth, malformedJson, numericHeader } from './request-guards.js';
import { looksAnthropic, matchRoute, type Route } from './route-table.js';
import { BoundedStore, type HandlerResult, type SimulatorContext, type StoredResponse } from './simulator-context.js';
import type { FaultKind, SimulatorOptions } from './simulator-options.js';
import { StatsCollector, type SimulatorRequestRecord, type SimulatorStats } from './simulator-stats.js';
import { applyStreamFault, writeEventStream, writeBody, type Pacing } from './sse-writer.js';
import { clearTokenCache } from './token-counter.js';
import { faultError, renderErrorBody, type WireError, type WireProvider } from './wire-errors.js';

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const HTTP_FAULTS: ReadonlySet<FaultKind> = new Set(['429', '500', '503', '529']);
const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
const JSON_CONTENT_TYPE = 'application/json';

/** Per-request facts the writer needs after the handler ran. */
interface Exchange {
  res: ServerResponse;
  record: SimulatorRequestRecord;
  provider: WireProvider;
  requestId: string;
  startedAt: number;
  pacing: Pacing;
}

/** The simulator's request pipeline: route → body → auth → JSON → fault → handler → paced write. */
export class SimulatorEngine {
  readonly context: SimulatorContext;
  private readonly stats = new StatsCollector();
  private readonly faults: FaultInjector;
  private readonly openAiLimits: RateLimitTracker;
  private readonly anthropicLimits: RateLimitTracker;
  private readonly organizationId: string;

  constructor(private readonly options: Readonly<SimulatorOptions>) {
    const ids = new IdGenerator(options.seed);
    this.context = { options, ids, promptCache: new PrefixCacheStore(), storedResponses: new BoundedStore<StoredResponse>(1000), batches: new BatchStore() };
    this.faults = new FaultInjector(options);
    this.openAiLimits = new RateLimitTracker(options.rateLimits);
    this.anthropicLimits = new RateLimitTracker(options.rateLimits);
    this.organizationId = ids.hex('', 8) + '-' + ids.hex('', 4) + '-4' + ids.hex('', 3) + '-a' + ids.hex('', 3) + '-' + ids.hex('', 12);
  }

  /** Counters and recent requests. */
  snapshot(): SimulatorStats {
    return this.stats.snapshot(this.context.promptCache.size);
  }

  /** Forgets stats, prompt caches, stored responses and restarts the fault sequence. */
  reset(): void {
    this.stats.reset();
    this.context.promptCache.clear();
    this.context.storedResponses.clear();
    this.context.batches.clear();
    this.faults.reset();
    clearTokenCache();
  }

  /** Node `request` listener. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => this.dispatch(req, res, startedAt, chunks, size));
    req.on('error', () => res.destroy());
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, startedAt: number, chunks: Buffer[], size: number): void {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE }).end('{"status":"ok"}');
      return;
    }
    const match = matchRoute(method, path, req.headers);
    const provider: WireProvider = match?.route.provider ?? (looksAnthropic(path, req.headers) ? 'anthropic' : 'openai');
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    let parsed = true;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        parsed = false;
      }
    }
    const now = this.options.now();
    const requestId = provider === 'openai' ? this.context.ids.hex('req_', 32) : this.context.ids.next('req_011C', 20);
    const record = this.stats.record({
      method,
      path,
      route: match?.route.name ?? 'unknown',
      provider,
      headers: req.headers,
      body,
      status: null,
      fault: null,
      stream: (body as { stream?: unknown } | null)?.stream === true,
      receivedAt: now,
    });
    const ttft = numericHeader(req.headers, 'x-simulator-latency-ms') ?? this.options.ttftMs;
    const perChunk =
      numericHeader(req.headers, 'x-simulator-inter-chunk-ms') ??
      (this.options.tokensPerSecond > 0 ? (this.options.tokensPerChunk * 1000) / this.options.tokensPerSecond : this.options.interChunkMs);
    const exchange: Exchange = { res, record, provider, requestId, startedAt, pacing: { ttftMs: ttft, interChunkMs: perChunk } };

    if (match === null) {
      const message = provider === 'openai' ? `Invalid URL (${method} ${path})` : 'Not found';
      return this.sendError(exchange, { status: 404, message, openAiType: 'invalid_request_error', param: null, code: null });
    }
    if (size > MAX_BODY_BYTES) {
      return this.sendError(exchange, { status: 413, message: 'Request exceeds the maximum allowed number of bytes.', openAiType: 'invalid_request_error', param: null, code: null });
    }
    const guard = checkAuth(provider, req.headers, this.options) ?? (provider === 'anthropic' ? checkAnthropicVersion(req.headers) : null);
    if (guard !== null) return this.sendError(exchange, guard);
    const isObject = parsed && body !== null && typeof body === 'object' && !Array.isArray(body);
    if (match.route.jsonBody && !isObject) return this.sendError(exchange, malformedJson(provider));
    const payload = (isObject ? body : {}) as Record<string, any>;
    const choice = this.faults.choose(req.headers['x-simulator-fault'], payload.model, match.route.drawsFaults);
    if (choice.invalidHeader !== null) {
      return this.sendError(exchange, { status: 400, message: `x-simulator-fault: unknown fault kind '${choice.invalidHeader}'`, openAiType: 'invalid_request_error', param: null, code: null });
    }
    const fault = choice.fault;
    if (fault !== null) this.stats.faulted(record, fault);
    if (fault === 'timeout') return; // accepted and never answered; close() drops the socket
    if (fault !== null && HTTP_FAULTS.has(fault)) return this.sendError(exchange, faultError(provider, fault, String(payload.model ?? 'unknown')), now);

    const result = this.run(match.route, exchange, payload, text, match.pathId, now);
    this.write(exchange, result, fault, now);
  }

  private run(route: Route, exchange: Exchange, body: Record<string, any>, rawBody: string, pathId: string | null, now: number): HandlerResult {
    const headers = exchange.record.headers;
    const outputTokensOverride = numericHeader(headers, 'x-simulator-output-tokens');
    const baseUrl = `http://${headers.host ?? '127.0.0.1'}`;
    return route.handler(this.context, { body, rawBody, baseUrl, headers, pathId, outputTokensOverride, requestId: exchange.requestId, now });
  }

  private write(exchange: Exchange, result: HandlerResult, fault: FaultKind | null, now: number): void {
    if (result.kind === 'error') return this.sendError(exchange, result.error);
    if (result.kind === 'raw') {
      this.stats.answered(exchange.record, 200, false);
      return writeBody(exchange.res, 200, this.headers(exchange, result.contentType, 0, {}), result.body, 0, null);
    }
    // A stream-only fault on a JSON answer: `error-event` becomes the provider's 500.
    if (result.kind === 'json' && fault === 'error-event') return this.sendError(exchange, faultError(exchange.provider, '500', ''));
    const limits = exchange.provider === 'openai' ? this.openAiLimits : this.anthropicLimits;
    const rateHeaders =
      exchange.provider === 'openai' ? limits.openAi(now, result.inputTokens, result.outputTokens) : limits.anthropic(now, result.inputTokens, result.outputTokens);
    if (result.kind === 'json') {
      const delay = exchange.pacing.ttftMs + exchange.pacing.interChunkMs * result.chunks;
      const headers = this.headers(exchange, JSON_CONTENT_TYPE, delay, rateHeaders);
      this.stats.answered(exchange.record, 200, false);
      return writeBody(exchange.res, 200, headers, JSON.stringify(result.body), delay, fault);
    }
    const headers = this.headers(exchange, SSE_CONTENT_TYPE, exchange.pacing.ttftMs, rateHeaders);
    headers['cache-control'] = 'no-cache';
    const { events, resetAfter } = applyStreamFault(result.events, fault, result.errorEvent);
    this.stats.answered(exchange.record, 200, true);
    writeEventStream(exchange.res, headers, events, resetAfter, exchange.pacing);
  }

  private headers(exchange: Exchange, contentType: string, delayMs: number, extra: Record<string, string>): OutgoingHttpHeaders {
    const processing = String(Math.round(performance.now() - exchange.startedAt + delayMs));
    if (exchange.provider === 'openai') {
      return {
        'content-type': contentType,
        'x-request-id': exchange.requestId,
        'openai-processing-ms': processing,
        'openai-version': '2020-10-01',
        'openai-organization': 'org-simulator',
        ...extra,
      };
    }
    return { 'content-type': contentType, 'request-id': exchange.requestId, 'anthropic-organization-id': this.organizationId, ...extra };
  }

  /** Writes `error` in the provider's shape; 429s carry retry hints and rate-limit headers. */
  private sendError(exchange: Exchange, error: WireError, now?: number): void {
    let extra: Record<string, string> = {};
    if (error.status === 429) {
      const at = now ?? this.options.now();
      const limits = exchange.provider === 'openai' ? this.openAiLimits.openAi(at, 0, 0) : this.anthropicLimits.anthropic(at, 0, 0);
      extra = {
        ...limits,
        'retry-after': String(Math.ceil(this.options.retryAfterMs / 1000)),
        'retry-after-ms': String(this.options.retryAfterMs),
      };
    }
    const headers = this.headers(exchange, JSON_CONTENT_TYPE, 0, extra);
    this.stats.answered(exchange.record, error.status, false);
    writeBody(exchange.res, error.status, headers, renderErrorBody(exchange.provider, error, exchange.requestId), 0, null);
  }
}

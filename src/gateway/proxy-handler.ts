import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { attributionFromHeaders } from '../core/attribution.js';
import { picoToUsdString } from '../core/money.js';
import type { ParsedUsage } from '../providers/types.js';
import type { UsageEvent } from '../core/usage-event.js';
import { GatewayError, renderErrorBody, type ApiFamily } from './error-catalog.js';
import { readBody } from './read-body.js';
import type { RouteSpec } from './routes.js';
import { upstreamUrl, type GatewayContext } from './gateway-context.js';
import { buildUpstreamHeaders, copyResponseHeaders } from './upstream-headers.js';
import type { UpstreamResponse } from './upstream-client.js';
import type { RequestInfo, EndpointAdapter } from '../providers/endpoint-adapter.js';
import { newEventId } from '../store/event-id.js';
import { attemptFromHeaders } from '../core/retry-attempt.js';
import { buildUsageEvent, priceRowFor, type CallRecord } from '../core/usage-event-builder.js';
import { forwardStream } from './forward-stream.js';
import { computeCost } from '../core/cost.js';
import type { VirtualKeyRecord } from '../store/key-store.js';
import { NO_TICKET, type SpendTicket } from './spend-control.js';
import { modelSequence, parseRetryAfter, retryDelayMs } from '../core/retry-policy.js';

/** State of one metered call, carried from parse to settle. */
export interface CallState {
  /** Id of the current attempt (changes on a retry). */
  id: string;
  ts: number;
  startedAt: number;
  route: RouteSpec;
  body: Record<string, unknown>;
  rawBody: Buffer;
  info: RequestInfo;
  adapter: EndpointAdapter;
  record: CallRecord;
  /** The caller's virtual key, null in open mode. */
  key: VirtualKeyRecord | null;
  /** Spend-control hold to settle when the call ends. */
  ticket: SpendTicket;
  /** The body object was changed (reroute, output cap) and must be re-serialized. */
  bodyChanged: boolean;
}

/** Handles one request on a known route: parse, attribute, forward, meter, record. Never throws. */
export async function handleProxy(req: IncomingMessage, res: ServerResponse, route: RouteSpec, ctx: GatewayContext): Promise<void> {
  const startedAt = performance.now();
  const id = newEventId();
  res.setHeader('x-tokenmeter-request-id', id);
  try {
    if (!route.metered) return await passThrough(req, res, route, ctx);
    const call = await parseCall(req, route, ctx, id, startedAt);
    await admit(req, call, ctx);
    await forward(req, res, call, ctx);
  } catch (error) {
    sendError(res, route.family, error, ctx);
  }
}

async function parseCall(req: IncomingMessage, route: RouteSpec, ctx: GatewayContext, id: string, startedAt: number): Promise<CallState> {
  const rawBody = await readBody(req, ctx.config.server.bodyLimitBytes);
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch (error) {
    throw new GatewayError('invalid_json', `request body is not valid JSON (${(error as Error).message}); send a JSON object with Content-Type: application/json`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'request body must be a JSON object');
  }
  const adapter = ctx.adapters[route.endpoint];
  if (!adapter) throw new GatewayError('route_not_found', `no adapter for ${route.path}`);
  const info = adapter.inspect(body as Record<string, unknown>);
  if (route.requiresModel && !info.model) {
    throw new GatewayError('missing_model', 'the request has no "model"; name the model to call (for example "gpt-4o-mini")', 'model');
  }
  const ts = Date.now();
  const record: CallRecord = {
    id,
    ts,
    latencyMs: 0,
    ttftMs: null,
    provider: route.family,
    endpoint: route.endpoint,
    requestedModel: info.model,
    status: 0,
    errorType: null,
    stream: info.stream,
    parsed: null,
    estimatedUsage: null,
    attribution: attributionFromHeaders(req.headers, info, route.path),
    // The official SDKs number their own retries in x-stainless-retry-count.
    attempt: attemptFromHeaders(req.headers),
    retryOf: null,
    cacheStatus: 'none',
    footprint: info.footprint,
    requestText: ctx.config.privacy.captureText ? rawBody.toString('utf8') : null,
    responseText: null,
  };
  return { id, ts, startedAt, route, body: body as Record<string, unknown>, rawBody, info, adapter, record, key: null, ticket: NO_TICKET, bodyChanged: false };
}

/**
 * Authenticates the caller (virtual keys) and runs spend control: caps, rate limits, budget
 * reservation. Applies what they decided to the request (reroute, output cap); throws a denial.
 */
async function admit(req: IncomingMessage, call: CallState, ctx: GatewayContext): Promise<void> {
  const key = await ctx.auth.authenticate(req.headers, call.route.family, call.ts);
  if (key) {
    call.key = key;
    const attribution = call.record.attribution;
    // The key decides who pays; headers cannot claim another tenant.
    if (key.tenant) attribution.tenant = key.tenant;
    if (key.team) attribution.team = key.team;
    if (key.user) attribution.user = key.user;
    if (!ctx.serverKeys[call.route.family]) {
      throw new GatewayError('provider_key_missing', `no ${call.route.family} provider key is configured on the gateway; set ${call.route.family === 'openai' ? ctx.config.providers.openai.apiKeyEnv : ctx.config.providers.anthropic.apiKeyEnv} in its environment`);
    }
  }
  const policies = ctx.spend.policiesFor(key);
  if (policies === ctx.spend.policies && !ctx.spend.active) return;
  const ticket = await ctx.spend.preflight(
    {
      subject: { attribution: call.record.attribution, keyId: key?.id ?? null, model: call.info.model },
      provider: call.route.family,
      endpoint: call.route.endpoint,
      body: call.body,
      rawBodyLength: call.rawBody.length,
      mayWriteCache: call.route.family === 'anthropic' ? call.rawBody.includes('cache_control') : true,
      maxOutputTokens: call.info.maxOutputTokens,
      choices: typeof call.body.n === 'number' && call.body.n > 1 ? call.body.n : 1,
    },
    policies,
    call.ts,
  );
  call.ticket = ticket;
  if (ticket.rerouteTo) {
    call.body.model = ticket.rerouteTo;
    call.bodyChanged = true;
  }
  if (ticket.maxOutputTokens !== null && call.adapter.setMaxOutputTokens) {
    call.adapter.setMaxOutputTokens(call.body, ticket.maxOutputTokens);
    call.bodyChanged = true;
  }
}

async function forward(req: IncomingMessage, res: ServerResponse, call: CallState, ctx: GatewayContext): Promise<void> {
  const { route, info, adapter } = call;
  const retries = ctx.config.retries;
  const models = modelSequence(retries, info.model);
  const retrying = retries.maxAttempts > 1 || models.length > 1;
  if (retrying) ctx.retryBudget.recordFirst(Date.now());
  let modelIndex = 0;
  let attemptOnModel = 1;
  const firstId = call.id;
  for (;;) {
    let bodyObject: Record<string, unknown> | null = call.bodyChanged ? call.body : null;
    let dropUsageChunk = false;
    if (info.stream && adapter.streamUpstreamBody) {
      const rewritten = adapter.streamUpstreamBody(call.body, info);
      if (rewritten) {
        bodyObject = rewritten;
        dropUsageChunk = !info.clientWantsUsage;
      }
    }
    const upstreamBody: Buffer | string = bodyObject ? JSON.stringify(bodyObject) : call.rawBody;
    const headers = buildUpstreamHeaders(req.headers, route.family, ctx.serverKeys[route.family], Buffer.byteLength(upstreamBody));
    const abort = new AbortController();
    const onEarlyClose = () => abort.abort();
    res.once('close', onEarlyClose);
    const sentAt = performance.now();
    let upstream: UpstreamResponse;
    try {
      upstream = await ctx.upstream.send(upstreamUrl(ctx, route.family, req.url ?? route.path), 'POST', headers, upstreamBody, abort.signal);
    } catch (error) {
      res.off('close', onEarlyClose);
      if (abort.signal.aborted) {
        settle(call, ctx, 499, 'client_disconnect', null);
        return;
      }
      const gatewayError = error as GatewayError;
      const status = gatewayError.status ?? 502;
      if (retrying && nextAttemptAllowed(status)) {
        recordFailedAttempt(call, ctx, status, gatewayError.code ?? 'upstream_unreachable');
        if (await waitForRetry(res, null)) continue;
        return;
      }
      settle(call, ctx, status, gatewayError.code ?? 'upstream_unreachable', null);
      throw error;
    }
    res.off('close', onEarlyClose);
    if (retrying && nextAttemptAllowed(upstream.status)) {
      const text = await upstream.body.text().catch(() => '');
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        // an error page that is not JSON: its status says enough
      }
      recordFailedAttempt(call, ctx, upstream.status, upstreamErrorType(json, upstream.status));
      if (await waitForRetry(res, parseRetryAfter(upstream.headers, Date.now()))) continue;
      return;
    }
    const contentType = String(upstream.headers['content-type'] ?? '');
    if (contentType.includes('text/event-stream') && adapter.createStreamMeter) {
      await forwardStream(res, call, ctx, upstream, sentAt, dropUsageChunk);
    } else {
      await forwardWhole(res, call, ctx, upstream, sentAt);
    }
    return;
  }

  /** Whether this failure may be retried: a retryable status, attempts or fallbacks left, and retry budget. */
  function nextAttemptAllowed(status: number): boolean {
    if (!retries.retryOn.includes(status)) return false;
    const more = attemptOnModel < retries.maxAttempts || modelIndex + 1 < models.length;
    return more && ctx.retryBudget.tryRetry(Date.now());
  }

  /** Waits the backoff, then moves the call to its next attempt (same model, or the next fallback). */
  async function waitForRetry(response: ServerResponse, retryAfterMs: number | null): Promise<boolean> {
    const delay = retryDelayMs(retries, attemptOnModel, retryAfterMs, Math.random());
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (response.destroyed) {
      settle(call, ctx, 499, 'client_disconnect', null);
      return false;
    }
    if (attemptOnModel < retries.maxAttempts) attemptOnModel++;
    else {
      modelIndex++;
      attemptOnModel = 1;
      call.body.model = models[modelIndex];
      call.bodyChanged = true;
    }
    call.id = newEventId();
    call.record.id = call.id;
    call.record.attempt++;
    call.record.retryOf = firstId;
    response.setHeader('x-tokenmeter-request-id', call.id);
    return true;
  }
}

/** Records a failed attempt as its own ledger event (errors bill nothing); the spend hold stays for the next try. */
function recordFailedAttempt(call: CallState, ctx: GatewayContext, status: number, errorType: string): void {
  const event = buildUsageEvent({ ...call.record, status, errorType, parsed: null, estimatedUsage: null, latencyMs: Math.round(performance.now() - call.startedAt) }, ctx.catalog);
  ctx.sink.enqueue(event);
}

async function forwardWhole(res: ServerResponse, call: CallState, ctx: GatewayContext, upstream: UpstreamResponse, sentAt: number): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of upstream.body) chunks.push(chunk as Buffer);
  } catch {
    settle(call, ctx, 502, 'upstream_reset', null);
    throw new GatewayError('upstream_unreachable', 'the upstream provider closed the connection before the response was complete; retry the request');
  }
  const payload = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const upstreamMs = performance.now() - sentAt;
  let parsed: ParsedUsage | null = null;
  let errorType: string | null = null;
  const ok = upstream.status >= 200 && upstream.status < 300;
  let json: unknown = null;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    // Not JSON (an HTML error page from a proxy, say): pass it through untouched.
  }
  if (ok) parsed = json ? call.adapter.parseUsage(json) : null;
  else errorType = upstreamErrorType(json, upstream.status);
  if (ctx.config.privacy.captureText) call.record.responseText = payload.toString('utf8');
  const event = settle(call, ctx, upstream.status, errorType, parsed, false);
  const headers = copyResponseHeaders(upstream.headers, call.ticket.headers);
  headers['content-length'] = String(payload.length);
  headers['x-tokenmeter-request-id'] = call.id;
  if (event.cost) headers['x-tokenmeter-cost-usd'] = picoToUsdString(event.cost.total);
  else headers['x-tokenmeter-cost-status'] = 'unpriced';
  headers['x-tokenmeter-overhead-ms'] = (performance.now() - call.startedAt - upstreamMs).toFixed(3);
  res.writeHead(upstream.status, headers);
  res.end(payload);
  event.latencyMs = Math.round(performance.now() - call.startedAt);
  ctx.sink.enqueue(event);
}

/**
 * Finishes the call's record and builds its event. With `emit` (the default) the event goes to the
 * ledger now; otherwise the caller enqueues it after adjusting timings.
 */
export function settle(call: CallState, ctx: GatewayContext, status: number, errorType: string | null, parsed: ParsedUsage | null, emit = true): UsageEvent {
  call.record.status = status;
  call.record.errorType = errorType;
  call.record.parsed = parsed;
  call.record.latencyMs = Math.round(performance.now() - call.startedAt);
  const event = buildUsageEvent(call.record, ctx.catalog);
  if (emit) ctx.sink.enqueue(event);
  if (call.ticket.reservationId) void ctx.spend.settle(call.ticket, event, Date.now());
  return event;
}

/** The `tokenmeter` object added to a stream's final usage event. */
export function streamAnnotation(call: CallState, ctx: GatewayContext, parsed: ParsedUsage): Record<string, unknown> {
  const row = priceRowFor(ctx.catalog, parsed.servedModel, call.info.model, call.ts, call.route.family);
  const cost = row ? computeCost(parsed.usage, row, { serviceTier: parsed.serviceTier }) : null;
  return {
    request_id: call.id,
    cost_usd: cost ? picoToUsdString(cost.total) : null,
    priced_model: row?.model ?? null,
  };
}

function upstreamErrorType(json: unknown, status: number): string {
  const error = (json as { error?: { type?: unknown; code?: unknown } } | null)?.error;
  if (error && typeof error.type === 'string') return error.type;
  if (error && typeof error.code === 'string') return error.code;
  return `http_${status}`;
}

async function passThrough(req: IncomingMessage, res: ServerResponse, route: RouteSpec, ctx: GatewayContext): Promise<void> {
  const headers = buildUpstreamHeaders(req.headers, route.family, ctx.serverKeys[route.family], null);
  const upstream = await ctx.upstream.send(upstreamUrl(ctx, route.family, req.url ?? route.path), route.method, headers, null);
  const chunks: Buffer[] = [];
  for await (const chunk of upstream.body) chunks.push(chunk as Buffer);
  const payload = Buffer.concat(chunks);
  const out = copyResponseHeaders(upstream.headers);
  out['content-length'] = String(payload.length);
  res.writeHead(upstream.status, out);
  res.end(payload);
}

/** Writes a gateway error in the caller's API shape (or cuts the connection if headers already went out). */
export function sendError(res: ServerResponse, family: ApiFamily, error: unknown, ctx: GatewayContext): void {
  const gatewayError =
    error instanceof GatewayError ? error : new GatewayError('gateway_error', `tokenmeter failed to handle the request (${(error as Error)?.message ?? error}); this is a bug, please report it`);
  if (!(error instanceof GatewayError)) ctx.log.error('unhandled error in request', { error: String((error as Error)?.stack ?? error) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = res.getHeader('x-tokenmeter-request-id') as string | undefined;
  const body = renderErrorBody(family, gatewayError.code, gatewayError.message, gatewayError.param, requestId);
  res.writeHead(gatewayError.status, {
    ...gatewayError.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-tokenmeter-error-code': gatewayError.code,
  });
  res.end(body);
}

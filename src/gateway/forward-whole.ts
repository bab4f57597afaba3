import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { picoToUsdString } from '../core/money.js';
import type { ParsedUsage } from '../providers/types.js';
import { GatewayError } from './error-catalog.js';
import type { RouteSpec } from './routes.js';
import { upstreamUrl, type GatewayContext } from './gateway-context.js';
import { readStream } from './read-body.js';
import { bodyText } from '../providers/utf8-text.js';
import { hasNonAscii, parseJsonBytes } from '../providers/inspect-body-bytes.js';
import type { EndpointAdapter } from '../providers/endpoint-adapter.js';
import { isAscii } from 'node:buffer';
import { buildUpstreamHeaders, copyResponseHeaders } from './upstream-headers.js';
import type { UpstreamResponse } from './upstream-client.js';
import { settle, upstreamErrorType, type CallState } from './call-state.js';

export async function forwardWhole(res: ServerResponse, call: CallState, ctx: GatewayContext, upstream: UpstreamResponse, sentAt: number): Promise<void> {
  let payload: Buffer;
  try {
    payload = await readStream(upstream.body);
  } catch {
    settle(call, ctx, 502, 'upstream_reset', null);
    throw new GatewayError('upstream_unreachable', 'the upstream provider closed the connection before the response was complete; retry the request');
  }
  const upstreamMs = performance.now() - sentAt;
  const ok = upstream.status >= 200 && upstream.status < 300;
  const { parsed, errorType } = readAnswer(payload, ok, call.adapter, upstream.status);
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

interface AnswerReading {
  parsed: ParsedUsage | null;
  errorType: string | null;
}

/**
 * Usage (2xx) or error type of the answer, parsed from its bytes like the request (an LLM answer is rarely pure
 * ASCII: curly quotes, dashes, other scripts); read again from the decoded text only when a string it took from a
 * non-ASCII answer is not ASCII itself.
 */
function readAnswer(payload: Buffer, ok: boolean, adapter: EndpointAdapter, status: number): AnswerReading {
  let json: unknown;
  try {
    json = parseJsonBytes(payload);
  } catch {
    return readJson(null, ok, adapter, status); // not JSON (an HTML error page from a proxy): passed through untouched
  }
  const reading = readJson(json, ok, adapter, status);
  if (isAscii(payload) || !readingHasNonAscii(reading)) return reading;
  return readJson(JSON.parse(bodyText(payload)), ok, adapter, status);
}

function readJson(json: unknown, ok: boolean, adapter: EndpointAdapter, status: number): AnswerReading {
  if (!ok) return { parsed: null, errorType: upstreamErrorType(json, status) };
  return { parsed: json ? adapter.parseUsage(json) : null, errorType: null };
}

function readingHasNonAscii({ parsed, errorType }: AnswerReading): boolean {
  if (hasNonAscii(errorType)) return true;
  return parsed !== null && (hasNonAscii(parsed.servedModel) || hasNonAscii(parsed.serviceTier) || hasNonAscii(parsed.raw));
}

export async function passThrough(req: IncomingMessage, res: ServerResponse, route: RouteSpec, ctx: GatewayContext): Promise<void> {
  const headers = buildUpstreamHeaders(req.headers, route.family, ctx.serverKeys[route.family], null);
  const upstream = await ctx.upstream.send(upstreamUrl(ctx, route.family, req.url ?? route.path), route.method, headers, null);
  const payload = await readStream(upstream.body);
  const out = copyResponseHeaders(upstream.headers);
  out['content-length'] = String(payload.length);
  res.writeHead(upstream.status, out);
  res.end(payload);
}

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

/**
 * Usage (2xx) or error type read from the answer, parsed from its bytes like the request (an LLM answer is rarely
 * pure ASCII: curly quotes, dashes, other scripts); decoded and parsed again only if a string read from it is not ASCII.
 */
function readAnswer(payload: Buffer, ok: boolean, adapter: EndpointAdapter, status: number): { parsed: ParsedUsage | null; errorType: string | null } {
  let json: unknown = null;
  try {
    json = parseJsonBytes(payload);
  } catch {
    return { parsed: null, errorType: ok ? null : upstreamErrorType(null, status) }; // not JSON (an HTML error page from a proxy): passed through untouched
  }
  const ascii = isAscii(payload);
  if (!ok) {
    const errorType = upstreamErrorType(json, status);
    return { parsed: null, errorType: ascii || !hasNonAscii(errorType) ? errorType : upstreamErrorType(JSON.parse(bodyText(payload)), status) };
  }
  const parsed = json ? adapter.parseUsage(json) : null;
  if (ascii || !parsed || !(hasNonAscii(parsed.servedModel) || hasNonAscii(parsed.serviceTier) || hasNonAscii(JSON.stringify(parsed.raw) ?? null))) {
    return { parsed, errorType: null };
  }
  return { parsed: adapter.parseUsage(JSON.parse(bodyText(payload))), errorType: null };
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


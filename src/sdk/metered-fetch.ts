import { inspectBodyBytes, type InspectedBody } from '../providers/inspect-body-bytes.js';
import type { EndpointAdapter } from '../providers/endpoint-adapter.js';
import { performance } from 'node:perf_hooks';
import { ATTRIBUTION_HEADER_PREFIX, attributionFromHeaders, parseTags } from '../core/attribution.js';
import { attemptFromHeaders } from '../core/retry-attempt.js';
import type { CallRecord } from '../core/usage-event-builder.js';
import type { Attribution } from '../core/usage-event.js';
import { ENDPOINT_ADAPTERS } from '../providers/endpoint-adapters.js';
import { MeteredCall, type CallSink } from './metered-call.js';
import { currentScope, resolveAttribution } from './meter-scope.js';
import type { AttributionInput, FetchLike } from './meter-types.js';
import { meterStreamResponse, meterWholeResponse } from './response-meter.js';
import { RetryLinker } from './retry-linker.js';
import { routeForUrl } from './sdk-routes.js';

/** What a metered fetch needs from its meter. */
export interface MeteredFetchOptions {
  /** The client's own fetch, which does the actual HTTP. */
  inner: FetchLike;
  sink: CallSink;
  /** Attribution of the wrapped client (wrap + view + meter defaults, merged). */
  attribution: AttributionInput;
  linker: RetryLinker;
  newId: (now: number) => string;
}

const FIELDS = ['feature', 'tenant', 'user', 'team', 'task', 'template', 'env'] as const;
const decoder = new TextDecoder();

/**
 * A fetch that meters every metered-endpoint POST the SDK makes, one event per HTTP attempt, using the
 * gateway's endpoint adapters (inspection, usage converters, stream meters) and its attribution headers.
 * x-tokenmeter-* headers set per call (request options) are read and never sent to the provider.
 */
export function createMeteredFetch(options: MeteredFetchOptions): FetchLike {
  const { inner, sink, linker, newId } = options;
  return async function meteredFetch(input, init) {
    // The official SDKs always pass a URL string; anything else goes through unmetered.
    if (typeof input !== 'string' && !(input instanceof URL)) return inner(input, init);
    const url = typeof input === 'string' ? input : input.href;
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers);
    const tagged = takeAttributionHeaders(headers);
    const route = method === 'POST' ? routeForUrl(url) : null;
    const adapter = route ? ENDPOINT_ADAPTERS[route.endpoint] : undefined;
    if (!route || !adapter) return inner(input, tagged ? { ...init, headers } : init);

    const rawBody = bodyText(init?.body);
    // Inspected from the bytes as at the gateway, so both count the prompt footprint the same way.
    const inspected = rawBody ? inspectOrNull(adapter, Buffer.from(rawBody)) : null;
    const body = inspected?.exact ?? parseObject(rawBody);
    const info = inspected?.info ?? adapter.inspect(body);
    let sendBody = init?.body;
    let dropUsageChunk = false;
    if (info.stream && !info.clientWantsUsage && adapter.withStreamUsage) {
      // As at the gateway: ask for the usage chunk, and hide it from the caller, who did not ask.
      sendBody = JSON.stringify(adapter.withStreamUsage(body));
      dropUsageChunk = true;
      headers.delete('content-length');
    }
    const ts = Date.now();
    const startedAt = performance.now();
    const id = newId(ts);
    const attempt = attemptFromHeaders(headers);
    let retryKey = attempt > 1 ? RetryLinker.key(method, url, rawBody) : null;
    const retryOf = retryKey ? linker.take(retryKey, ts) : null;
    const scope = currentScope();
    const attribution = resolveAttribution([
      tagged ? headerAttribution(tagged) : null,
      scope ? { ...scope.attribution, task: scope.task?.id ?? scope.attribution.task } : null,
      options.attribution,
      attributionFromHeaders({}, info, route.path),
    ]);
    const record: CallRecord = {
      id, ts, latencyMs: 0, ttftMs: null, provider: route.provider, endpoint: route.endpoint, requestedModel: info.model,
      status: 0, errorType: null, stream: info.stream, parsed: null, estimatedUsage: null, attribution, attempt, retryOf,
      cacheStatus: 'none', footprint: info.footprint, requestText: null, responseText: null, source: 'sdk',
    };
    const call = new MeteredCall(record, body, adapter, startedAt, init?.signal, sink);
    const rememberFailure = () => {
      retryKey ??= RetryLinker.key(method, url, rawBody);
      linker.remember(retryKey, retryOf ?? id, Date.now());
    };
    let response: Response;
    try {
      response = await inner(input, { ...init, headers, body: sendBody });
    } catch (error) {
      rememberFailure();
      const aborted = call.aborted();
      call.settle(aborted ? 499 : 502, aborted ? 'client_disconnect' : 'upstream_unreachable', null);
      throw error;
    }
    if (!response.ok) rememberFailure();
    const contentType = response.headers.get('content-type') ?? '';
    if (response.body && adapter.createStreamMeter && contentType.includes('text/event-stream')) {
      return meterStreamResponse(response, call, adapter.createStreamMeter({ dropUsageChunk }));
    }
    return meterWholeResponse(response, call);
  };
}

/** Removes x-tokenmeter-* headers, returning them (lower-case names), or null when there were none. */
function takeAttributionHeaders(headers: Headers): Record<string, string> | null {
  let found: Record<string, string> | null = null;
  for (const [name, value] of headers) {
    if (!name.startsWith(ATTRIBUTION_HEADER_PREFIX)) continue;
    (found ??= {})[name] = value;
  }
  if (found) for (const name in found) headers.delete(name);
  return found;
}

/** Attribution from x-tokenmeter-* headers, with fields the headers do not set left null. */
function headerAttribution(bag: Record<string, string>): Attribution {
  const parsed = attributionFromHeaders(bag, null, '');
  for (const field of FIELDS) if (parsed[field] === '' && !bag[`${ATTRIBUTION_HEADER_PREFIX}${field}`]) parsed[field] = null;
  parsed.tags = parseTags(bag[`${ATTRIBUTION_HEADER_PREFIX}tags`] ?? null);
  return parsed;
}

function bodyText(body: RequestInit['body'] | undefined): string | null {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return decoder.decode(body);
  if (body instanceof ArrayBuffer) return decoder.decode(new Uint8Array(body));
  return null;
}

function inspectOrNull(adapter: EndpointAdapter, raw: Buffer): InspectedBody | null {
  try {
    return inspectBodyBytes(adapter, raw);
  } catch {
    return null; // not JSON: sent as it is, metered with what the answer says
  }
}

function parseObject(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

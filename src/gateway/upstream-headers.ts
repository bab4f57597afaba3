import type { IncomingHttpHeaders } from 'node:http';
import { ATTRIBUTION_HEADER_PREFIX } from '../core/attribution.js';
import type { ApiFamily } from './error-catalog.js';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te', 'trailer',
  'content-length', 'accept-encoding', 'expect', 'proxy-authorization',
]);

/**
 * Headers to send upstream: the caller's, minus hop-by-hop and x-tokenmeter-* (attribution never
 * leaks to the provider), uncompressed (so usage can be read), with the server-held key when one is set.
 */
export function buildUpstreamHeaders(
  incoming: IncomingHttpHeaders,
  family: ApiFamily,
  serverKey: string | undefined,
  bodyLength: number | null,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || name.startsWith(ATTRIBUTION_HEADER_PREFIX)) continue;
    const value = incoming[name];
    if (value !== undefined) out[name] = value;
  }
  if (serverKey) {
    if (family === 'anthropic') {
      delete out['authorization'];
      out['x-api-key'] = serverKey;
    } else {
      delete out['x-api-key'];
      out['authorization'] = `Bearer ${serverKey}`;
    }
  }
  out['accept-encoding'] = 'identity';
  if (bodyLength !== null) out['content-length'] = String(bodyLength);
  return out;
}

const RESPONSE_SKIP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding']);

/**
 * Upstream response headers safe to pass to the caller (length and framing are ours to set), with the
 * gateway's own headers on top: its rate-limit headers describe the limit the caller hits first.
 */
export function copyResponseHeaders(upstream: Record<string, string | string[] | undefined>, own?: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in upstream) {
    if (RESPONSE_SKIP.has(name)) continue;
    const value = upstream[name];
    if (value !== undefined) out[name] = value;
  }
  if (own) for (const name in own) out[name] = own[name]!;
  return out;
}

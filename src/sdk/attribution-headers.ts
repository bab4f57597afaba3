import { ATTRIBUTION_HEADER_PREFIX } from '../core/attribution.js';
import type { AttributionInput } from './meter-types.js';

/**
 * Per-call attribution as x-tokenmeter-* headers, for a call's request options:
 * `client.chat.completions.create(body, { headers: attributionHeaders({ feature: 'summarize' }) })`.
 * The same headers work through the gateway; a wrapped client reads them and never sends them upstream.
 */
export function attributionHeaders(attribution: AttributionInput): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const field of ['feature', 'tenant', 'user', 'team', 'task', 'template', 'env'] as const) {
    const value = attribution[field];
    if (value != null && value !== '') headers[`${ATTRIBUTION_HEADER_PREFIX}${field}`] = value;
  }
  const tags = attribution.tags ? Object.entries(attribution.tags) : [];
  if (tags.length > 0) headers[`${ATTRIBUTION_HEADER_PREFIX}tags`] = tags.map(([key, value]) => `${key}=${value}`).join(',');
  return headers;
}

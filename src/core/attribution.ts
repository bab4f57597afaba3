import { emptyAttribution, type Attribution } from './usage-event.js';

/** Header prefix for attribution; every header with it is stripped before forwarding. */
export const ATTRIBUTION_HEADER_PREFIX = 'x-tokenmeter-';

const FIELD_HEADERS: ReadonlyArray<readonly [keyof Omit<Attribution, 'tags'>, string]> = [
  ['feature', 'x-tokenmeter-feature'],
  ['tenant', 'x-tokenmeter-tenant'],
  ['user', 'x-tokenmeter-user'],
  ['team', 'x-tokenmeter-team'],
  ['task', 'x-tokenmeter-task'],
  ['template', 'x-tokenmeter-template'],
  ['env', 'x-tokenmeter-env'],
];

const MAX_VALUE_LENGTH = 256;
const MAX_TAGS = 32;

type HeaderBag = Record<string, string | string[] | undefined>;

function headerValue(headers: HeaderBag, name: string): string | null {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  if (text == null) return null;
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed.slice(0, MAX_VALUE_LENGTH);
}

/** Parses `key=value,key2=value2` (values may not contain commas); bad pairs are skipped. */
export function parseTags(text: string | null): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!text) return tags;
  let count = 0;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim().slice(0, 64);
    const value = pair.slice(eq + 1).trim().slice(0, MAX_VALUE_LENGTH);
    if (!key) continue;
    tags[key] = value;
    if (++count >= MAX_TAGS) break;
  }
  return tags;
}

/** What the request body says about attribution (OpenAI `user`/`metadata`, Anthropic `metadata.user_id`). */
export interface BodyAttribution {
  user: string | null;
  metadata: Record<string, string> | null;
}

/**
 * Builds the attribution of a call: x-tokenmeter-* headers win; the body's user/metadata fill gaps
 * (metadata keys named like a field fill that field, the rest become tags); feature defaults to the route.
 */
export function attributionFromHeaders(headers: HeaderBag, body: BodyAttribution | null, defaultFeature: string): Attribution {
  const attribution = emptyAttribution();
  for (const [field, header] of FIELD_HEADERS) attribution[field] = headerValue(headers, header);
  attribution.tags = parseTags(headerValue(headers, 'x-tokenmeter-tags'));
  if (body) {
    attribution.user ??= body.user ? body.user.slice(0, MAX_VALUE_LENGTH) : null;
    if (body.metadata) {
      for (const [key, value] of Object.entries(body.metadata)) {
        if (typeof value !== 'string') continue;
        const field = FIELD_HEADERS.find(([name]) => name === key)?.[0];
        if (field) attribution[field] ??= value.slice(0, MAX_VALUE_LENGTH);
        else if (!(key in attribution.tags) && Object.keys(attribution.tags).length < MAX_TAGS) attribution.tags[key] = value.slice(0, MAX_VALUE_LENGTH);
      }
    }
  }
  attribution.feature ??= defaultFeature;
  return attribution;
}

import type { Endpoint } from '../core/usage-event.js';

/** A metered API call recognized from its URL. */
export interface SdkRoute {
  provider: 'openai' | 'anthropic';
  endpoint: Endpoint;
  /** The gateway's path for the same call (the default feature, as at the gateway). */
  path: string;
}

/**
 * POST paths by suffix, longest first, mirroring src/gateway/routes.ts. Suffixes, not whole paths,
 * because base URLs carry prefixes (Azure deployments, proxies); Anthropic's keep `/v1/` so OpenAI's
 * `/threads/{id}/messages` is not mistaken for a Messages call.
 */
const SUFFIXES: ReadonlyArray<readonly [string, SdkRoute]> = [
  ['/v1/messages/count_tokens', { provider: 'anthropic', endpoint: 'messages.count_tokens', path: '/v1/messages/count_tokens' }],
  ['/v1/messages', { provider: 'anthropic', endpoint: 'messages', path: '/v1/messages' }],
  ['/chat/completions', { provider: 'openai', endpoint: 'chat.completions', path: '/v1/chat/completions' }],
  ['/responses/input_tokens', { provider: 'openai', endpoint: 'other', path: '/v1/responses/input_tokens' }],
  ['/responses', { provider: 'openai', endpoint: 'responses', path: '/v1/responses' }],
  ['/embeddings', { provider: 'openai', endpoint: 'embeddings', path: '/v1/embeddings' }],
];

/** The metered route of a POST to `url`, or null for anything else (file uploads, batches, retrievals). */
export function routeForUrl(url: string): SdkRoute | null {
  let end = url.indexOf('?');
  if (end === -1) end = url.indexOf('#');
  let path = end === -1 ? url : url.slice(0, end);
  if (path.endsWith('/')) path = path.slice(0, -1);
  for (const [suffix, route] of SUFFIXES) if (path.endsWith(suffix)) return route;
  return null;
}

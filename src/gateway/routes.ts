import type { Endpoint } from '../core/usage-event.js';
import type { ApiFamily } from './error-catalog.js';

/** A route the gateway serves: where it goes upstream and how it is metered. */
export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
  family: ApiFamily;
  endpoint: Endpoint;
  /** False for free calls forwarded without a body model check (model listing). */
  metered: boolean;
  requiresModel: boolean;
}

const ROUTES: RouteSpec[] = [
  { method: 'POST', path: '/v1/chat/completions', family: 'openai', endpoint: 'chat.completions', metered: true, requiresModel: true },
  { method: 'POST', path: '/v1/responses', family: 'openai', endpoint: 'responses', metered: true, requiresModel: true },
  { method: 'POST', path: '/v1/responses/input_tokens', family: 'openai', endpoint: 'other', metered: true, requiresModel: true },
  { method: 'POST', path: '/v1/embeddings', family: 'openai', endpoint: 'embeddings', metered: true, requiresModel: true },
  { method: 'GET', path: '/v1/models', family: 'openai', endpoint: 'models', metered: false, requiresModel: false },
  { method: 'POST', path: '/v1/messages', family: 'anthropic', endpoint: 'messages', metered: true, requiresModel: true },
  { method: 'POST', path: '/v1/messages/count_tokens', family: 'anthropic', endpoint: 'messages.count_tokens', metered: true, requiresModel: true },
];

const BY_PATH = new Map<string, RouteSpec[]>();
for (const route of ROUTES) {
  const list = BY_PATH.get(route.path) ?? [];
  list.push(route);
  BY_PATH.set(route.path, list);
}

/** Result of matching a request line. */
export type RouteMatch = { route: RouteSpec } | { notFound: true; family: ApiFamily } | { wrongMethod: true; family: ApiFamily };

/** Matches method + path (query ignored). Unknown `/v1/messages*` paths answer in Anthropic's shape. */
export function matchRoute(method: string, url: string): RouteMatch {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const candidates = BY_PATH.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
  const family: ApiFamily = path.startsWith('/v1/messages') ? 'anthropic' : 'openai';
  if (!candidates) return { notFound: true, family };
  const route = candidates.find((r) => r.method === method);
  return route ? { route } : { wrongMethod: true, family };
}

/** Every route, for the index page and docs. */
export function listRoutes(): readonly RouteSpec[] {
  return ROUTES;
}

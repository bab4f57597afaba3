import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ledger } from '../store/ledger.js';
import type { OutcomeStore } from '../store/outcome-store.js';
import { GatewayError } from './error-catalog.js';
import type { GatewayContext } from './gateway-context.js';
import { authorizeIngest } from './ingest-auth.js';
import { ingestEvents, ingestOutcomes, type IngestState } from './ingest-handlers.js';
import { sendError } from './send-error.js';
import { readBody } from './read-body.js';

/** Where the tokenmeter API reads and writes: the gateway's ledger and the outcome store beside it. */
export interface TokenmeterApiDeps {
  ledger: Ledger;
  outcomes: OutcomeStore;
}

/** Paths served by handleTokenmeterApi all start with this. */
export const TOKENMETER_API_PREFIX = '/v1/tokenmeter/';

const registered = new WeakMap<GatewayContext, IngestState>();

/**
 * Enables the tokenmeter API on a gateway context (call once at start-up, after the ledger is open):
 * `registerTokenmeterApi(context, { ledger, outcomes: outcomeStoreFor(ledger) })`.
 */
export function registerTokenmeterApi(ctx: GatewayContext, deps: TokenmeterApiDeps): void {
  registered.set(ctx, { ...deps, inFlight: new Set() });
}

type Handler = (state: IngestState, body: unknown, ctx: GatewayContext, principal: Awaited<ReturnType<typeof authorizeIngest>>, now: number) =>
  Promise<{ status: number; body: unknown }>;

const HANDLERS: Record<string, Handler> = {
  '/v1/tokenmeter/events': ingestEvents,
  '/v1/tokenmeter/outcomes': ingestOutcomes,
};

/**
 * Serves POST /v1/tokenmeter/events and /v1/tokenmeter/outcomes; returns false (and does nothing)
 * for any other path, so the caller routes it on. Never throws.
 */
export function handleTokenmeterApi(req: IncomingMessage, res: ServerResponse, ctx: GatewayContext): boolean {
  const url = req.url ?? '';
  if (!url.startsWith(TOKENMETER_API_PREFIX)) return false;
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  if (path.endsWith('/')) path = path.slice(0, -1);
  const handler = HANDLERS[path];
  if (!handler) return false;
  void serve(req, res, ctx, handler, path);
  return true;
}

async function serve(req: IncomingMessage, res: ServerResponse, ctx: GatewayContext, handler: Handler, path: string): Promise<void> {
  try {
    if (req.method !== 'POST') {
      throw new GatewayError('method_not_allowed', `${req.method} is not allowed on ${path}; POST a JSON body`, null, { allow: 'POST' });
    }
    const state = registered.get(ctx);
    if (!state) {
      throw new GatewayError('gateway_unavailable', 'the tokenmeter ingest API is not enabled on this gateway (no ledger registered with registerTokenmeterApi)');
    }
    const now = Date.now();
    const principal = await authorizeIngest(req, ctx, now);
    const raw = await readBody(req, ctx.config.server.bodyLimitBytes);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw new GatewayError('invalid_json', `request body is not valid JSON (${(error as Error).message})`);
    }
    const answer = await handler(state, body, ctx, principal, now);
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } catch (error) {
    // Refused before the body was read (auth): drain it so the connection can be reused.
    if (!req.readableEnded) req.resume();
    sendError(res, 'openai', error, ctx);
  }
}

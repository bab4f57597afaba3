import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchRoute, listRoutes } from './routes.js';
import { handleProxy } from './proxy-handler.js';
import { sendError } from './send-error.js';
import { GatewayError } from './error-catalog.js';
import type { GatewayContext } from './gateway-context.js';
import { handleTokenmeterApi, TOKENMETER_API_PREFIX } from './ingest-api.js';
import { ADMIN_PREFIX, handleAdmin } from './admin-api.js';

/** A running gateway HTTP server. */
export interface GatewayServer {
  readonly server: http.Server;
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections and waits for in-flight requests to finish (bounded by `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** Builds the request listener: health and index pages, then the proxied API routes. */
export function createRequestListener(ctx: GatewayContext): http.RequestListener {
  const index = JSON.stringify({
    name: 'tokenmeter',
    routes: listRoutes().map((r) => `${r.method} ${r.path}`),
    docs: 'https://github.com/tokenmeter/tokenmeter#readme',
  });
  return (req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && (url === '/healthz' || url === '/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(url === '/' ? index : '{"ok":true}');
      return;
    }
    if (url.startsWith(ADMIN_PREFIX)) {
      void handleAdmin(req, res, ctx);
      return;
    }
    if (url.startsWith(TOKENMETER_API_PREFIX) && handleTokenmeterApi(req, res, ctx)) return;
    const match = matchRoute(req.method ?? 'GET', url);
    if ('route' in match) {
      void handleProxy(req, res, match.route, ctx);
      return;
    }
    req.resume();
    const error =
      'notFound' in match
        ? new GatewayError('route_not_found', `tokenmeter does not serve ${req.method} ${url.split('?')[0]}; see GET / for the routes it proxies`)
        : new GatewayError('method_not_allowed', `${req.method} is not allowed on ${url.split('?')[0]}`);
    sendError(res, match.family, error, ctx);
  };
}

/** The gateway's node:http server options (the start-up warm-up serves with the same ones). */
export const GATEWAY_SERVER_OPTIONS: http.ServerOptions = { keepAliveTimeout: 75_000, requestTimeout: 0, headersTimeout: 60_000 };

/** Starts the gateway on host:port (port 0 picks a free one). */
export async function startGatewayServer(ctx: GatewayContext, host: string, port: number): Promise<GatewayServer> {
  const server = http.createServer(GATEWAY_SERVER_OPTIONS, createRequestListener(ctx));
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

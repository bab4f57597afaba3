import type { ServerResponse } from 'node:http';
import { GatewayError, renderErrorBody, type ApiFamily } from './error-catalog.js';
import type { GatewayContext } from './gateway-context.js';

/** Writes a gateway error in the caller's API shape (or cuts the connection if headers already went out). */
export function sendError(res: ServerResponse, family: ApiFamily, error: unknown, ctx: GatewayContext): void {
  const gatewayError =
    error instanceof GatewayError ? error : new GatewayError('gateway_error', `tokenmeter failed to handle the request (${(error as Error)?.message ?? error}); this is a bug, please report it`);
  if (!(error instanceof GatewayError)) ctx.log.error('unhandled error in request', { error: String((error as Error)?.stack ?? error) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = res.getHeader('x-tokenmeter-request-id') as string | undefined;
  const body = renderErrorBody(family, gatewayError.code, gatewayError.message, gatewayError.param, requestId);
  res.writeHead(gatewayError.status, {
    ...gatewayError.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-tokenmeter-error-code': gatewayError.code,
  });
  res.end(body);
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { VirtualKeyRecord } from '../store/key-store.js';
import { GatewayError } from './error-catalog.js';
import type { GatewayContext } from './gateway-context.js';

/** Who posted to the tokenmeter API: an admin, a virtual key (whose identity overrides records'), or anyone (open mode). */
export type IngestPrincipal = { kind: 'admin' } | { kind: 'key'; key: VirtualKeyRecord } | { kind: 'open' };

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Authenticates a call to /v1/tokenmeter/*: the admin token (Authorization: Bearer, from the env var
 * named by auth.adminTokenEnv) or a virtual key; when the gateway requires keys, one of the two.
 */
export async function authorizeIngest(req: IncomingMessage, ctx: GatewayContext, now: number, env: NodeJS.ProcessEnv = process.env): Promise<IngestPrincipal> {
  const adminToken = env[ctx.config.auth.adminTokenEnv];
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : null;
  // Compare digests: constant time whatever the lengths.
  if (adminToken && bearer && timingSafeEqual(digest(bearer), digest(adminToken))) return { kind: 'admin' };
  try {
    const key = await ctx.auth.authenticate(req.headers, 'openai', now);
    return key ? { kind: 'key', key } : { kind: 'open' };
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'invalid_key' && !bearer && !req.headers['x-api-key']) {
      throw new GatewayError('invalid_key',
        `the tokenmeter API of this gateway requires a virtual key (tm_...) or the admin token ($${ctx.config.auth.adminTokenEnv}), sent as Authorization: Bearer <token>`);
    }
    throw error;
  }
}

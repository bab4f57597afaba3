import type { IncomingMessage } from 'node:http';
import { GatewayError } from './error-catalog.js';

/**
 * Reads a request body up to `limit` bytes. Rejects early on a larger Content-Length and stops
 * reading (413) as soon as the limit is passed, so an oversize body never sits in memory.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    'body_too_large',
    `request body is larger than the gateway's limit of ${limit} bytes; send a smaller request or raise server.bodyLimitBytes in tokenmeter.yaml`,
  );
}

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
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
  return readStream(req, limit);
}

/**
 * A whole stream as one Buffer (a request body, an upstream answer), rejecting with a 413 GatewayError once it
 * passes `limit`. Listeners rather than `for await`: the async iterator costs a promise and an iterator result per
 * chunk (~2 % of the gateway's allocations on small JSON answers).
 */
export function readStream(stream: Readable, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.off('data', onData);
        stream.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    stream.once('error', reject);
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    'body_too_large',
    `request body is larger than the gateway's limit of ${limit} bytes; send a smaller request or raise server.bodyLimitBytes in tokenmeter.yaml`,
  );
}

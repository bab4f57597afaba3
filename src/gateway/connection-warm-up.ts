import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { readStream } from './read-body.js';
import { GATEWAY_SERVER_OPTIONS } from './gateway-server.js';

/** What a warm-up did: connections opened and closed, requests exchanged, and how long it took. */
export interface ConnectionWarmUpResult {
  connections: number;
  requests: number;
  ms: number;
}

/** A request body shaped like a small chat call; its content does not matter, only that bytes flow. */
const REQUEST_BODY = JSON.stringify({ model: 'warm-up', messages: [{ role: 'user', content: 'warm-up '.repeat(32) }] });
const JSON_ANSWER = Buffer.from(JSON.stringify({ id: 'warm-up', object: 'chat.completion', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } }));
const SSE_CHUNK = Buffer.from('data: {"id":"warm-up","choices":[]}\n\n');

/**
 * Exchanges requests over loopback connections that open and close, between a throwaway node:http server (the
 * gateway's server options) and undici clients (the gateway's upstream client), before the gateway takes traffic.
 *
 * Why: V8 optimizes Node's socket, stream and HTTP code for the objects it has seen. A process that has seen only
 * one connection, then sees it close and another open, deoptimizes ~35 of those functions at once ("wrong map")
 * and recompiles them on V8's worker threads, which preempt the event loop: in the benchmark, the first 3 s after
 * the load's connection changed held a third to a half of a one-connection cell's stall time. With connections that
 * opened, ended from either side and reopened in the type feedback before any optimization, the later code covers
 * them: a bare node:http server measured 33 deoptimizations at that change without a warm-up, 1 with one. Costs
 * ~100-200 ms at start-up; real traffic during it is impossible, since the gateway listens only afterwards.
 */
export async function warmUpConnections(connections = 8, requestsPerConnection = 24): Promise<ConnectionWarmUpResult> {
  const started = performance.now();
  if (connections <= 0) return { connections: 0, requests: 0, ms: 0 };
  let served = 0;
  const server = http.createServer(GATEWAY_SERVER_OPTIONS, (req, res) => {
    served++;
    // Each connection's last request is answered with connection: close, so half of them end from the server.
    const closing = req.headers['x-warm-up-close'] === '1';
    readStream(req).then(
      () => {
        if (served % 2 === 0) {
          res.writeHead(200, { 'content-type': 'text/event-stream', ...(closing ? { connection: 'close' } : {}) });
          res.write(SSE_CHUNK);
          res.write(SSE_CHUNK);
          res.end(SSE_CHUNK);
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_ANSWER.length, ...(closing ? { connection: 'close' } : {}) });
          res.end(JSON_ANSWER);
        }
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let requests = 0;
  try {
    for (let c = 0; c < connections; c++) {
      const client = new Client(origin, { pipelining: 1 });
      const serverCloses = c % 2 === 1;
      try {
        for (let r = 0; r < requestsPerConnection; r++) {
          const last = r === requestsPerConnection - 1;
          const response = await client.request({
            path: '/v1/chat/completions',
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(last && serverCloses ? { 'x-warm-up-close': '1' } : {}) },
            body: REQUEST_BODY,
          });
          await readStream(response.body);
          requests++;
        }
      } finally {
        await client.close();
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { connections, requests, ms: Math.round(performance.now() - started) };
}

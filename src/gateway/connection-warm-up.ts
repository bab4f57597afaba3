import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import type { TokenmeterConfig } from '../config/config-schema.js';
import { loadPriceCatalog } from '../config/load-prices.js';
import { toSpendPolicies } from '../config/spend-config-schema.js';
import { RetryBudget } from '../core/retry-policy.js';
import { ENDPOINT_ADAPTERS } from '../providers/endpoint-adapters.js';
import { MemoryCounters } from '../store/memory/memory-counters.js';
import { MemoryKeyStore } from '../store/memory/memory-key-store.js';
import { AuthGate } from './auth-gate.js';
import type { GatewayContext } from './gateway-context.js';
import { createRequestListener, GATEWAY_SERVER_OPTIONS } from './gateway-server.js';
import { createLogger } from './logger.js';
import { readStream } from './read-body.js';
import { SpendControl } from './spend-control.js';
import { UpstreamClient } from './upstream-client.js';

/** What a warm-up did: connections opened and closed, calls made, calls answered 2xx, and how long it took. */
export interface WarmUpResult {
  connections: number;
  requests: number;
  ok: number;
  ms: number;
}

const USAGE = { prompt_tokens: 212, completion_tokens: 9, total_tokens: 221, prompt_tokens_details: { cached_tokens: 0 } };
const CHAT_ANSWER = Buffer.from(JSON.stringify({
  id: 'chatcmpl-warm-up', object: 'chat.completion', created: 0, model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Warm.' }, finish_reason: 'stop' }], usage: USAGE,
}));
const chunk = (fields: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-warm-up', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini-2024-07-18', ...fields })}\n\n`;
const CHAT_STREAM = [
  chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Warm' }, finish_reason: null }] }),
  chunk({ choices: [{ index: 0, delta: { content: '.' }, finish_reason: 'stop' }] }),
  chunk({ choices: [], usage: USAGE }),
  'data: [DONE]\n\n',
].map((text) => Buffer.from(text));

/**
 * A provider stand-in on loopback: every POST gets a chat completion, as JSON or as an SSE stream with usage. The
 * last call of a connection may ask it to close the connection (x-warm-up-close), so undici sees a provider hang up.
 * Not the simulator (src/simulator): it loads gpt-tokenizer's o200k encoding, which would stay in the gateway's
 * memory (RSS 71 -> 114 MiB, heap 12 -> 34 MiB, measured after one call).
 */
function startStandInProvider(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    readStream(req).then(
      (body) => {
        const close = req.headers['x-warm-up-close'] === '1' ? { connection: 'close' } : {};
        if (body.includes('"stream":true')) {
          res.writeHead(200, { 'content-type': 'text/event-stream', ...close });
          for (const part of CHAT_STREAM.slice(0, -1)) res.write(part);
          res.end(CHAT_STREAM[CHAT_STREAM.length - 1]);
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': CHAT_ANSWER.length, ...close });
          res.end(CHAT_ANSWER);
        }
      },
      () => res.destroy(),
    );
  });
  return listenOnLoopback(server);
}

/**
 * Exclusive: in a `--workers` process, node's cluster would otherwise share every `listen(0)` through the primary, by
 * the order of the calls. A worker still warming up would then share its stand-in's port with a worker whose real
 * gateway (also `listen(0)` under `--port 0`) already serves: callers' requests could be answered by the stand-in and
 * never recorded, and warm-up calls could reach the real gateway and be recorded as traffic.
 */
function listenOnLoopback(server: http.Server): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

function originOf(server: http.Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * The gateway's own request path, run before it takes traffic: chat calls (JSON and streamed) through the request
 * listener with this config's prices and spend policies, to a provider stand-in on loopback, over connections that
 * open and close from either side. Nothing is recorded (events go nowhere, counters are a throwaway in-memory set,
 * the stand-in is the only upstream) and no caller can reach it (its servers listen on ephemeral loopback ports).
 *
 * Why: V8 optimizes Node's socket, stream and HTTP code, and ours, for the objects it has seen. A process that has
 * seen only one connection, then sees it close and another open, deoptimizes 41-43 times at once (mostly "wrong map")
 * and recompiles them on V8's worker threads, which preempt the event loop: in the one-connection benchmark the 3 s
 * after the load's connection changed held a third to a half of the run's stall time. With connections that opened,
 * ended from either side and reopened in the type feedback before anything was optimized, the optimized code covers
 * them: 0-1 deoptimizations at that change (test/gateway/warm-up-deopts.test.ts). Costs 0.2-0.6 s at start-up (192
 * calls through code not yet optimized; listening at 470-519 vs 277-289 ms on the ninth benchmark VM).
 */
export async function warmUpGateway(config: TokenmeterConfig, connections = 8, requestsPerConnection = 24): Promise<WarmUpResult> {
  const started = performance.now();
  if (connections <= 0) return { connections: 0, requests: 0, ok: 0, ms: 0 };
  const provider = await startStandInProvider();
  const log = createLogger('silent');
  const keys = new MemoryKeyStore();
  const catalog = loadPriceCatalog(config.prices.overrides);
  const counters = new MemoryCounters();
  const context: GatewayContext = {
    config,
    catalog,
    sink: { enqueue: () => undefined },
    upstream: new UpstreamClient(config.server.upstreamTimeoutMs),
    log,
    adapters: ENDPOINT_ADAPTERS,
    serverKeys: {},
    auth: new AuthGate('open', keys, config.auth.keyCacheMs),
    keys,
    spend: new SpendControl(toSpendPolicies(config), counters, catalog, config.server.upstreamTimeoutMs * 2, log),
    retryBudget: new RetryBudget(config.retries.budgetRatio),
    upstreamBase: { openai: `${originOf(provider)}/v1`, anthropic: originOf(provider) },
  };
  let gateway: http.Server | null = null;
  let requests = 0;
  let ok = 0;
  try {
    gateway = await listenOnLoopback(http.createServer(GATEWAY_SERVER_OPTIONS, createRequestListener(context)));
    const origin = originOf(gateway);
    for (let c = 0; c < connections; c++) {
      const client = new Client(origin, { pipelining: 1 });
      // Odd connections end with the gateway's provider hanging up; the caller always hangs up its own.
      const providerCloses = c % 2 === 1;
      try {
        for (let r = 0; r < requestsPerConnection; r++) {
          const last = r === requestsPerConnection - 1;
          const response = await client.request({
            path: '/v1/chat/completions',
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: 'Bearer sk-warm-up',
              'x-tokenmeter-feature': 'warm-up',
              ...(last && providerCloses ? { 'x-warm-up-close': '1' } : {}),
            },
            body: JSON.stringify({
              model: 'gpt-4o-mini',
              stream: r % 2 === 1,
              messages: [
                { role: 'system', content: 'You answer in one word. '.repeat(20) },
                { role: 'user', content: `Warm-up call ${r}.` },
              ],
            }),
          });
          await readStream(response.body);
          requests++;
          if (response.statusCode < 300) ok++;
        }
      } finally {
        await client.close();
      }
    }
  } finally {
    if (gateway) await closeServer(gateway);
    await context.upstream.close();
    await counters.close();
    await closeServer(provider);
  }
  return { connections, requests, ok, ms: Math.round(performance.now() - started) };
}

/**
 * Run by test/gateway/warm-up-cluster.test.ts as a node:cluster primary with two workers, the way `start --workers`
 * runs: worker 1 serves a `listen(0)` server (a real gateway under `--port 0`), then worker 2 runs the start-up
 * warm-up. Prints one JSON line: how many requests worker 1's server received, and the warm-up's result.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { once } from 'node:events';
import { loadConfig } from '../../src/config/load-config.js';
import { warmUpGateway } from '../../src/gateway/connection-warm-up.js';

type Message = { listening?: true; served?: number; warmUp?: unknown; ask?: 'count' };

if (cluster.isPrimary) {
  const serving = cluster.fork({ ROLE: 'serve' });
  await once(serving, 'message'); // listening
  const warming = cluster.fork({ ROLE: 'warm' });
  const [done] = (await once(warming, 'message')) as [Message];
  serving.send({ ask: 'count' } satisfies Message);
  const [count] = (await once(serving, 'message')) as [Message];
  process.stdout.write(`${JSON.stringify({ served: count.served, warmUp: done.warmUp })}\n`);
  serving.kill();
  warming.kill();
} else if (process.env.ROLE === 'serve') {
  let served = 0;
  const server = http.createServer((_req, res) => {
    served++;
    res.writeHead(500).end();
  });
  server.listen(0, '127.0.0.1', () => process.send!({ listening: true } satisfies Message));
  process.on('message', () => process.send!({ served } satisfies Message));
} else {
  const result = await warmUpGateway(loadConfig(null, {}, {}));
  process.send!({ warmUp: result } satisfies Message);
}

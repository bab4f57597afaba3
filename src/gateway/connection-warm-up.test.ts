import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/load-config.js';
import { warmUpGateway } from './connection-warm-up.js';

/** TCP servers and sockets this process holds open. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length;
}

test('the warm-up runs calls through the request path over connections that open and close, and leaves nothing open', async () => {
  const config = loadConfig(null, {}, {});
  const before = tcpHandles();
  const result = await warmUpGateway(config, 4, 10);
  // Every call answered 2xx through the request path (a gateway answer of 4xx/5xx would not throw, only lower ok).
  assert.deepEqual({ connections: result.connections, requests: result.requests, ok: result.ok }, { connections: 4, requests: 40, ok: 40 });
  // A destroyed socket leaves the list once its close callback has run, a few turns later.
  for (let wait = 0; wait < 100 && tcpHandles() > before; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(tcpHandles(), before);
  assert.deepEqual(await warmUpGateway(config, 0), { connections: 0, requests: 0, ok: 0, ms: 0 });
});

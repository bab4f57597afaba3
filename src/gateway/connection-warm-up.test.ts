import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from './logger.js';
import { startGateway } from './start-gateway.js';
import { warmUpGateway } from './connection-warm-up.js';

/** TCP servers and sockets this process holds open. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length;
}

test('the warm-up answers every call through the request path, records nothing and leaves nothing open', async () => {
  const gateway = await startGateway(loadConfig(null, { port: 0, db: ':memory:' }, {}), { log: createLogger('silent') });
  try {
    const before = tcpHandles();
    const result = await warmUpGateway(gateway.context, 4, 10);
    assert.deepEqual({ connections: result.connections, requests: result.requests, ok: result.ok }, { connections: 4, requests: 40, ok: 40 });
    // A destroyed socket leaves the list once its close callback has run, a few turns later.
    for (let wait = 0; wait < 100 && tcpHandles() > before; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(tcpHandles(), before);
    await gateway.writer.flush();
    assert.equal(await gateway.ledger.count({ since: 0, until: Number.MAX_SAFE_INTEGER }), 0, 'warm-up calls are not in the ledger');
    assert.deepEqual(await warmUpGateway(gateway.context, 0), { connections: 0, requests: 0, ok: 0, ms: 0 });
  } finally {
    await gateway.close();
  }
});

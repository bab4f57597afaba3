import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Client } from 'undici';
import { warmUpConnections } from './connection-warm-up.js';

const MODULE = new URL('./connection-warm-up.js', import.meta.url).href;
const SERVER_MODULE = new URL('./gateway-server.js', import.meta.url).href;
const READ_BODY_MODULE = new URL('./read-body.js', import.meta.url).href;

/** TCP servers and sockets this process holds open. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length;
}

test('the warm-up exchanges requests over connections that open and close, and leaves nothing open', async () => {
  const before = tcpHandles();
  const result = await warmUpConnections(4, 10);
  assert.equal(result.connections, 4);
  assert.equal(result.requests, 40);
  assert.ok(result.ms >= 0);
  // A destroyed socket leaves the list once its close callback has run, a few turns later.
  for (let wait = 0; wait < 100 && tcpHandles() > before; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(tcpHandles(), before);
  assert.deepEqual(await warmUpConnections(0), { connections: 0, requests: 0, ms: 0 });
});

/**
 * In a fresh process under --trace-deopt: a node:http server with the gateway's options, optionally warmed up first,
 * serves one keep-alive connection until its code is optimized, then that connection closes and another opens (what
 * a benchmark's warm-up and measured runs do). Returns the "wrong map" deoptimizations after start-up.
 */
async function wrongMapDeoptsAtConnectionChange(warmUp: boolean): Promise<number> {
  const script = `
    import http from 'node:http';
    import fs from 'node:fs';
    const { warmUpConnections } = await import(${JSON.stringify(MODULE)});
    const { GATEWAY_SERVER_OPTIONS } = await import(${JSON.stringify(SERVER_MODULE)});
    const { readStream } = await import(${JSON.stringify(READ_BODY_MODULE)});
    if (${warmUp}) await warmUpConnections();
    const answer = Buffer.from(JSON.stringify({ id: 'x', choices: [], usage: { prompt_tokens: 3, completion_tokens: 5 } }));
    const server = http.createServer(GATEWAY_SERVER_OPTIONS, (req, res) => {
      readStream(req).then(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
        res.end(answer);
      });
    });
    server.listen(0, '127.0.0.1', () => fs.writeSync(1, '@@READY ' + server.address().port + '\\n'));
  `;
  const child = spawn(process.execPath, ['--trace-deopt', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (output += chunk));
  try {
    while (!/@@READY \d+/.test(output)) await once(child.stdout, 'data');
    const ready = output.indexOf('@@READY');
    const port = Number(/@@READY (\d+)/.exec(output)![1]);
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello '.repeat(200) }] });
    const run = async (requests: number) => {
      const client = new Client(`http://127.0.0.1:${port}`, { pipelining: 1 });
      for (let i = 0; i < requests; i++) {
        const response = await client.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.body.arrayBuffer();
      }
      await client.close();
    };
    await run(15_000); // long enough for TurboFan to optimize the request path
    await run(500);
    child.kill();
    await once(child, 'exit');
    return output.slice(ready).split('\n').filter((line) => line.includes('bailout') && line.includes('wrong map')).length;
  } finally {
    child.kill();
  }
}

test('after the warm-up, a connection change no longer deoptimizes the socket and HTTP code', async () => {
  const cold = await wrongMapDeoptsAtConnectionChange(false);
  const warmed = await wrongMapDeoptsAtConnectionChange(true);
  // Without the warm-up the change must cost many deoptimizations, or this test would prove nothing.
  assert.ok(cold >= 10, `expected the cold server to deoptimize at the connection change, saw ${cold}`);
  assert.ok(warmed * 3 <= cold, `warmed-up server: ${warmed} wrong-map deoptimizations, cold: ${cold}`);
});

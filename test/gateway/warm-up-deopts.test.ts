import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';

const ANSWER = Buffer.from(JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', created: 0, model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 420, completion_tokens: 3, total_tokens: 423 },
}));

/**
 * `tokenmeter start` under --trace-deopt, with or without its start-up warm-up, serves one keep-alive connection until
 * its code is optimized; then that connection closes and another opens, serves 300 calls and closes (what a
 * benchmark's warm-up and measured runs do). Returns the deoptimizations printed from just before the first connection
 * closed until 300 ms after the second did, before the gateway is stopped (stopping closes its upstream connections,
 * which deoptimizes ~11 functions of its own). Measured: 41-43 without the warm-up, 0-1 with it.
 */
async function deoptsAtConnectionChange(warmUp: boolean, upstream: string, dir: string): Promise<number> {
  const args = ['--trace-deopt', 'dist/src/cli/main.js', 'start', '--port', '0', '--db', join(dir, `${warmUp}.db`), '--openai-url', `${upstream}/v1`];
  if (!warmUp) args.push('--no-warm-up');
  // V8 prints its traces through C stdio, which a pipe would buffer: line buffering puts them in order with our marks.
  const child = spawn('stdbuf', ['-oL', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TOKENMETER_LOG: 'warn' } });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (output += chunk));
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
  try {
    while (!/tokenmeter listening on (http:\S+)/.test(output)) await once(child.stdout, 'data');
    const url = /tokenmeter listening on (http:\S+)/.exec(output)![1]!;
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello '.repeat(400) }] });
    const run = async (requests: number, beforeClose: () => Promise<void> = async () => {}) => {
      const client = new Client(url, { pipelining: 1 });
      for (let i = 0; i < requests; i++) {
        const response = await client.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' }, body });
        assert.equal(response.statusCode, 200);
        await response.body.arrayBuffer();
      }
      await beforeClose();
      await client.close();
    };
    let from = 0;
    await run(8_000, async () => { // long enough for TurboFan to optimize the request path
      await settle();
      from = output.length;
    });
    await run(300);
    await settle();
    const window = output.slice(from);
    return window.split('\n').filter((line) => line.includes('bailout')).length;
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

test('after the start-up warm-up, a connection change no longer deoptimizes the gateway code', async (t) => {
  const upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
      res.end(ANSWER);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-warm-up-'));
  try {
    const cold = await deoptsAtConnectionChange(false, origin, dir);
    const warmed = await deoptsAtConnectionChange(true, origin, dir);
    t.diagnostic(`deoptimizations at the connection change: ${cold} without the warm-up, ${warmed} with it`);
    // Without the warm-up the change must cost many deoptimizations, or this test would prove nothing.
    assert.ok(cold >= 20, `expected the gateway without warm-up to deoptimize at the connection change, saw ${cold}`);
    assert.ok(warmed <= 3, `with the warm-up: ${warmed} deoptimizations at the connection change (without: ${cold})`);
  } finally {
    upstream.closeAllConnections();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

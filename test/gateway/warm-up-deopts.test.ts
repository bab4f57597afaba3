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
 * its code is optimized; then that connection closes and another opens (what a benchmark's warm-up and measured runs
 * do). Returns the "wrong map" deoptimizations printed after the gateway said it was listening: 52-54 without the
 * warm-up, 11-13 with it (those left are in Node's code for ending and destroying a long-lived connection; warming
 * with 4 connections of 100 calls, 16 of 24, or a pause before each close left as many).
 */
async function wrongMapDeoptsAtConnectionChange(warmUp: boolean, upstream: string, dir: string): Promise<number> {
  const args = ['--trace-deopt', 'dist/src/cli/main.js', 'start', '--port', '0', '--db', join(dir, `${warmUp}.db`), '--openai-url', `${upstream}/v1`];
  if (!warmUp) args.push('--no-warm-up');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TOKENMETER_LOG: 'warn' } });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (output += chunk));
  try {
    while (!/tokenmeter listening on (http:\S+)/.test(output)) await once(child.stdout, 'data');
    const listening = output.indexOf('tokenmeter listening on');
    const url = /tokenmeter listening on (http:\S+)/.exec(output)![1]!;
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello '.repeat(400) }] });
    const run = async (requests: number) => {
      const client = new Client(url, { pipelining: 1 });
      for (let i = 0; i < requests; i++) {
        const response = await client.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' }, body });
        assert.equal(response.statusCode, 200);
        await response.body.arrayBuffer();
      }
      await client.close();
    };
    await run(8_000); // long enough for TurboFan to optimize the request path
    await run(300);
    child.kill('SIGTERM');
    await once(child, 'exit');
    return output.slice(listening).split('\n').filter((line) => line.includes('bailout') && line.includes('wrong map')).length;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

test('after the start-up warm-up, a connection change no longer deoptimizes the gateway code', async () => {
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
    const cold = await wrongMapDeoptsAtConnectionChange(false, origin, dir);
    const warmed = await wrongMapDeoptsAtConnectionChange(true, origin, dir);
    // Without the warm-up the change must cost many deoptimizations, or this test would prove nothing.
    assert.ok(cold >= 10, `expected the gateway without warm-up to deoptimize at the connection change, saw ${cold}`);
    assert.ok(warmed * 2 <= cold, `with the warm-up: ${warmed} wrong-map deoptimizations, without: ${cold}`);
  } finally {
    upstream.closeAllConnections();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startStack, eventually } from '../support/stack.js';

test('a caller that disconnects mid-stream is still recorded, with estimated tokens', async () => {
  const stack = await startStack({ simulator: { interChunkMs: 15 } });
  try {
    const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, max_tokens: 400, messages: [{ role: 'user', content: 'Tell me a long story about tokens.' }] });
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${stack.openaiBase}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-tokenmeter-feature': 'story' } }, (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 600) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end(body);
    });
    const event = await eventually(async () => (await stack.events()).find((e) => e.attribution.feature === 'story'));
    assert.equal(event.errorType, 'client_disconnect');
    assert.equal(event.estimated, true);
    assert.ok(event.usage.inputUncached > 0, 'prompt tokens estimated with the tokenizer');
    assert.ok(event.usage.output > 0 && event.usage.output < 400, `output estimated from what was streamed (${event.usage.output})`);
    assert.ok(event.cost!.total > 0, 'an estimated cost, not zero');
  } finally {
    await stack.close();
  }
});

test('an upstream reset mid-stream breaks the caller stream and is recorded as estimated', async () => {
  const stack = await startStack();
  try {
    const openai = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const stream = await openai.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Stream something.' }] },
      { headers: { 'x-simulator-fault': 'reset', 'x-tokenmeter-feature': 'reset-openai' } },
    );
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    });
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: stack.anthropicBase, maxRetries: 0 });
    const astream = anthropic.messages.stream(
      { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Stream something.' }] },
      { headers: { 'x-simulator-fault': 'reset', 'x-tokenmeter-feature': 'reset-anthropic' } },
    );
    await assert.rejects(astream.finalMessage());
    const events = await eventually(async () => {
      const all = await stack.events();
      const a = all.find((e) => e.attribution.feature === 'reset-openai');
      const b = all.find((e) => e.attribution.feature === 'reset-anthropic');
      return a && b ? [a, b] : null;
    });
    for (const event of events) {
      assert.equal(event.errorType, 'upstream_reset');
      assert.equal(event.estimated, true);
      assert.ok(event.usage.inputUncached > 0);
    }
  } finally {
    await stack.close();
  }
});

test('an unreachable upstream gives 502 in the caller shape and is recorded', async () => {
  const stack = await startStack({ openaiUrl: 'http://127.0.0.1:1/v1' });
  try {
    const openai = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    await assert.rejects(
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
      (error: any) => error instanceof OpenAI.InternalServerError && error.status === 502 && error.code === 'upstream_unreachable',
    );
    const [event] = await stack.events();
    assert.equal(event!.status, 502);
    assert.equal(event!.errorType, 'upstream_unreachable');
  } finally {
    await stack.close();
  }
});

test('an upstream that never answers gives 504 upstream_timeout, in each caller shape, soon after the configured timeout', async () => {
  const stack = await startStack({ configYaml: 'server:\n  upstreamTimeoutMs: 300\n' });
  try {
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: stack.anthropicBase, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const fault = { headers: { 'x-simulator-fault': 'timeout' } };
    const started = Date.now();
    await assert.rejects(
      anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, fault),
      (error: any) => error instanceof Anthropic.APIError && error.status === 504,
    );
    await assert.rejects(
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, fault),
      (error: any) => error instanceof OpenAI.APIError && error.status === 504 && (error.error as any)?.code === 'upstream_timeout',
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2 * 300 && elapsed < 2 * 3_000, `two timeouts took ${elapsed} ms (undici checks its timers about once a second)`);
    const events = await stack.events();
    assert.equal(events.length, 2);
    for (const event of events) {
      assert.equal(event.status, 504);
      assert.equal(event.errorType, 'upstream_timeout');
    }
  } finally {
    await stack.close();
  }
});

/**
 * Streams one OpenAI chat answer through a gateway with `upstreamTimeoutMs`, the simulator pausing `interChunkMs`
 * before each chunk; returns what the caller saw (the error, if the stream failed) and the ledger's events.
 */
async function streamWithPauses(options: { interChunkMs: number; upstreamTimeoutMs: number; maxTokens: number }) {
  const stack = await startStack({ simulator: { interChunkMs: options.interChunkMs }, configYaml: `server:\n  upstreamTimeoutMs: ${options.upstreamTimeoutMs}\n` });
  try {
    const openai = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const started = Date.now();
    let contentChunks = 0;
    let error: unknown = null;
    try {
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, max_tokens: options.maxTokens, messages: [{ role: 'user', content: 'Tell me a story about a meter.' }] });
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) contentChunks++;
    } catch (caught) {
      error = caught;
    }
    return { error, elapsedMs: Date.now() - started, contentChunks, events: await stack.events() };
  } finally {
    await stack.close();
  }
}

test('a stream whose upstream goes silent for longer than upstreamTimeoutMs is cut and recorded as upstream_timeout', async () => {
  const run = await streamWithPauses({ interChunkMs: 600, upstreamTimeoutMs: 150, maxTokens: 50 });
  assert.ok(run.error instanceof Error, 'the caller sees the stream fail');
  assert.ok(run.elapsedMs < 10_000, `cut after ${run.elapsedMs} ms, not after the whole answer (~30 s)`);
  const [event] = run.events;
  assert.equal(event!.errorType, 'upstream_timeout');
  assert.equal(event!.estimated, true);
});

test('upstreamTimeoutMs limits silence, not length: a stream longer than it but never idle that long completes', async () => {
  const run = await streamWithPauses({ interChunkMs: 30, upstreamTimeoutMs: 250, maxTokens: 60 });
  assert.equal(run.error, null);
  assert.ok(run.elapsedMs > 500, `the stream took ${run.elapsedMs} ms, more than twice the timeout`);
  assert.ok(run.contentChunks > 10);
  const [event] = run.events;
  assert.equal(event!.status, 200);
  assert.equal(event!.errorType, null);
  assert.equal(event!.estimated, false);
});

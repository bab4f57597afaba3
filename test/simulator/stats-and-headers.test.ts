import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { ANTHROPIC_HEADERS, OPENAI_HEADERS, rawPost } from './simulator-test-helpers.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ outputTokens: 5 });
});
after(() => sim.close());

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } };

test('stats: counts per route and status, and keeps what was received (headers and body)', async () => {
  sim.reset();
  await (await rawPost(sim, '/v1/chat/completions', chat, { ...OPENAI_HEADERS, 'x-tokenmeter-feature': 'search' })).text();
  await (await rawPost(sim, '/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, ANTHROPIC_HEADERS)).text();
  await (await rawPost(sim, '/v1/chat/completions', { model: 'gpt-4o', messages: [] }, OPENAI_HEADERS)).text();
  const stats = sim.stats();
  assert.equal(stats.requests, 3);
  assert.deepEqual(stats.byRoute, { 'openai.chat': 2, 'anthropic.messages': 1 });
  assert.deepEqual(stats.byStatus, { 200: 2, 400: 1 });
  assert.equal(stats.streams, 1);
  const first = stats.recent[0]!;
  assert.equal(first.route, 'openai.chat');
  assert.equal(first.headers['x-tokenmeter-feature'], 'search');
  assert.deepEqual((first.body as any).stream_options, { include_usage: true });
  assert.equal(first.stream, true);
  assert.equal(stats.lastRequest!.status, 400);
  sim.reset();
  assert.equal(sim.stats().requests, 0);
  assert.equal(sim.stats().lastRequest, null);
});

test('headers: OpenAI request id, processing time, version and x-ratelimit-* with duration resets', async () => {
  const res = await rawPost(sim, '/v1/chat/completions', { ...chat, stream: false, stream_options: undefined }, OPENAI_HEADERS);
  await res.text();
  assert.match(res.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/);
  assert.match(res.headers.get('openai-processing-ms') ?? '', /^\d+$/);
  assert.equal(res.headers.get('openai-version'), '2020-10-01');
  assert.equal(res.headers.get('x-ratelimit-limit-requests'), '10000');
  assert.ok(Number(res.headers.get('x-ratelimit-remaining-requests')) < 10000);
  assert.match(res.headers.get('x-ratelimit-reset-requests') ?? '', /^(\d+ms|\d+(\.\d+)?s|\d+m\d+(\.\d+)?s)$/);
  assert.match(res.headers.get('x-ratelimit-reset-tokens') ?? '', /^(\d+ms|\d+(\.\d+)?s|\d+m\d+(\.\d+)?s)$/);
});

test('headers: Anthropic request-id and anthropic-ratelimit-* with RFC 3339 resets, remaining rounded to thousands', async () => {
  const res = await rawPost(sim, '/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, ANTHROPIC_HEADERS);
  await res.text();
  assert.match(res.headers.get('request-id') ?? '', /^req_/);
  for (const kind of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
    assert.match(res.headers.get(`anthropic-ratelimit-${kind}-reset`) ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Number(res.headers.get(`anthropic-ratelimit-${kind}-limit`)) > 0);
  }
  assert.equal(Number(res.headers.get('anthropic-ratelimit-input-tokens-remaining')) % 1000, 0);
});

test('routing: unknown paths are 404 in the caller dialect; /health answers without auth', async () => {
  const openai = await rawPost(sim, '/v1/completions-typo', {}, OPENAI_HEADERS);
  assert.equal(openai.status, 404);
  assert.equal(((await openai.json()) as any).error.type, 'invalid_request_error');
  const anthropic = await rawPost(sim, '/v1/messages/nope', {}, ANTHROPIC_HEADERS);
  assert.equal(anthropic.status, 404);
  assert.equal(((await anthropic.json()) as any).error.type, 'not_found_error');
  const health = await fetch(`${sim.url}/health`);
  assert.deepEqual(await health.json(), { status: 'ok' });
});

test('requireAuth:false accepts keyless requests; close() also drops requests held by timeout faults', async () => {
  const open = await startSimulator({ requireAuth: false });
  const res = await rawPost(open, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(res.status, 200);
  await res.text();
  const hanging = rawPost(open, '/v1/chat/completions', { model: 'sim-fault-timeout', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await open.close();
  assert.ok((await hanging) instanceof Error, 'the held request fails when the simulator closes');
});

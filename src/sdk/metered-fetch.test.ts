import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../core/usage-event-builder.js';
import { createMeteredFetch } from './metered-fetch.js';
import { RetryLinker } from './retry-linker.js';

const fixture = (name: string) => readFileSync(join(process.cwd(), 'src/providers/__fixtures__', name));

/** An inner fetch answering with `bytes` in chunks of `size`, keeping the chunk objects it handed out. */
function replay(bytes: Buffer, size: number, contentType: string, status = 200) {
  const sent: Uint8Array[] = [];
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const inner = async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), init: init! });
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        const chunk = new Uint8Array(bytes.subarray(offset, offset + size));
        offset += size;
        sent.push(chunk);
        controller.enqueue(chunk);
      },
    });
    return new Response(body, { status, headers: { 'content-type': contentType } });
  };
  return { inner, sent, requests };
}

function meteredWith(inner: ReturnType<typeof replay>['inner']) {
  const records: CallRecord[] = [];
  const fetch = createMeteredFetch({
    inner, sink: { call: (record) => records.push(record) }, attribution: { feature: 'unit' }, linker: new RetryLinker(), newId: () => `id-${records.length}`,
  });
  return { fetch, records };
}

async function readAll(response: Response): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

test('a metered stream hands the caller the very chunk objects the upstream sent, and records usage once', async () => {
  const bytes = fixture('openai/responses-stream.sse');
  const upstream = replay(bytes, 97, 'text/event-stream');
  const { fetch, records } = meteredWith(upstream.inner);
  const response = await fetch('https://api.openai.com/v1/responses', {
    method: 'POST', headers: { 'x-tokenmeter-tenant': 'acme', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', input: 'hi', stream: true }),
  });
  const received = await readAll(response);
  assert.equal(received.length, upstream.sent.length);
  received.forEach((chunk, i) => assert.equal(chunk, upstream.sent[i], `chunk ${i} is the same object`));
  assert.equal(records.length, 1);
  const [record] = records;
  assert.equal(record!.endpoint, 'responses');
  assert.equal(record!.stream, true);
  assert.ok(record!.parsed && record!.parsed.usage.output > 0);
  assert.equal(record!.estimatedUsage, null);
  assert.deepEqual([record!.attribution.feature, record!.attribution.tenant], ['unit', 'acme']);
  const sentHeaders = new Headers(upstream.requests[0]!.init.headers);
  assert.equal(sentHeaders.get('x-tokenmeter-tenant'), null, 'attribution headers are not sent upstream');
});

test('a chat stream without include_usage: usage is requested upstream and its chunk hidden from the caller', async () => {
  const bytes = fixture('openai/chat-stream-include-usage.sse');
  const upstream = replay(bytes, 64, 'text/event-stream; charset=utf-8');
  const { fetch, records } = meteredWith(upstream.inner);
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
  const response = await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', body });
  const text = Buffer.concat(await readAll(response)).toString('utf8');
  const sentBody = JSON.parse(String(upstream.requests[0]!.init.body));
  assert.deepEqual(sentBody.stream_options, { include_usage: true });
  assert.ok(!/"usage":\{/.test(text), 'the usage chunk is dropped');
  assert.ok(text.includes('[DONE]'));
  assert.ok(records[0]!.parsed!.usage.inputUncached + records[0]!.parsed!.usage.cacheRead > 0);
});

test('whole responses are read from a copy; the caller still reads the original body', async () => {
  const bytes = fixture('openai/embeddings.json');
  const upstream = replay(bytes, 1000, 'application/json');
  const { fetch, records } = meteredWith(upstream.inner);
  const response = await fetch('https://api.openai.com/v1/embeddings', { method: 'POST', body: '{"model":"text-embedding-3-small","input":"x"}' });
  assert.deepEqual(await response.json(), JSON.parse(bytes.toString('utf8')));
  for (let i = 0; i < 50 && records.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
  assert.equal(records[0]!.endpoint, 'embeddings');
  assert.ok(records[0]!.parsed!.usage.inputUncached > 0);
});

test('calls outside the metered endpoints pass through unrecorded', async () => {
  const upstream = replay(Buffer.from('{"data":[]}'), 100, 'application/json');
  const { fetch, records } = meteredWith(upstream.inner);
  await (await fetch('https://api.openai.com/v1/models')).json();
  await (await fetch('https://api.openai.com/v1/files', { method: 'POST', body: '{}' })).json();
  assert.equal(records.length, 0);
  assert.equal(upstream.requests.length, 2);
});

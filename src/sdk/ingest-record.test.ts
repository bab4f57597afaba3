import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PriceCatalog, parsePriceCatalogDocument } from '../core/price-catalog.js';
import { buildUsageEvent, type CallRecord } from '../core/usage-event-builder.js';
import { emptyAttribution } from '../core/usage-event.js';
import { convertMessagesUsage } from '../providers/anthropic/convert-messages-usage.js';
import { callRecordToIngestRecord, checkIngestRecord, inferEndpoint, ingestRecordToCallRecord } from './ingest-record.js';

const catalogPath = join(process.cwd(), 'prices/catalog.json');
const catalog = new PriceCatalog(parsePriceCatalogDocument(JSON.parse(readFileSync(catalogPath, 'utf8')), catalogPath).rows);
const fixture = (name: string) => JSON.parse(readFileSync(join(process.cwd(), 'src/providers/__fixtures__', name), 'utf8'));

test('inferEndpoint tells the usage shapes apart', () => {
  assert.equal(inferEndpoint('anthropic', { input_tokens: 1 }), 'messages');
  assert.equal(inferEndpoint('openai', { prompt_tokens: 1, completion_tokens: 1 }), 'chat.completions');
  assert.equal(inferEndpoint('openai', { prompt_tokens: 1, total_tokens: 1 }), 'embeddings');
  assert.equal(inferEndpoint('openai', { input_tokens: 1, output_tokens: 1 }), 'responses');
  assert.equal(inferEndpoint('bedrock', { input_tokens: 1, cache_read_input_tokens: 0 }), 'messages');
  assert.equal(inferEndpoint('openai', null), 'chat.completions');
});

test('validation names fields; token fields must be counts; other usage fields pass as they came', () => {
  const base = { id: 'r1', provider: 'OpenAI', model: 'gpt-4o-mini' };
  const ok = checkIngestRecord({ ...base, usage: { prompt_tokens: 3, completion_tokens: 1, cost: 0.00012 }, extra: 1 });
  assert.ok(ok.ok);
  assert.equal(ok.record.provider, 'openai', 'provider names are case-insensitive');
  assert.deepEqual(ok.warnings, [{ field: 'extra', message: 'unknown field, ignored' }]);
  const bad = checkIngestRecord({ ...base, usage: { prompt_tokens: 1.5, completion_tokens_details: { reasoning_tokens: '2' } }, ts: 'yesterday' });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map((e) => e.field), ['usage.prompt_tokens', 'usage.completion_tokens_details.reasoning_tokens', 'ts']);
  const missing = checkIngestRecord({ id: 'r2', provider: 'openai', model: 'gpt-4o-mini' });
  assert.ok(!missing.ok);
  assert.deepEqual(missing.errors, [{ field: 'usage', message: 'required' }]);
  assert.deepEqual(checkIngestRecord([]), { ok: false, id: null, errors: [{ field: '(record)', message: 'expected a JSON object' }] });
});

test('a record is normalized by the endpoint converter and priced as the gateway would', () => {
  const message = fixture('anthropic/messages-cache-5m-1h.json');
  const check = checkIngestRecord({ id: 'a1', provider: 'anthropic', model: message.model, usage: message.usage, ts: 1_800_000_000_000 });
  assert.ok(check.ok);
  const call = ingestRecordToCallRecord(check.record, 0);
  const direct = convertMessagesUsage(message)!;
  assert.deepEqual(call.parsed!.usage, direct.usage);
  const event = buildUsageEvent(call, catalog);
  assert.equal(event.source, 'ingest');
  assert.equal(event.ts, 1_800_000_000_000);
  assert.ok(event.cost && event.cost.total > 0);
});

test('an SDK call record survives the trip over the wire: the gateway builds the same event', () => {
  const record: CallRecord = {
    id: 'sdk-1', ts: 1_800_000_000_000, latencyMs: 321, ttftMs: 45, provider: 'openai', endpoint: 'chat.completions',
    requestedModel: 'gpt-4o-mini', status: 200, errorType: null, stream: true,
    parsed: { usage: { inputUncached: 176, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 300, reasoning: 0, webSearchRequests: 0 },
      raw: { prompt_tokens: 1200, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1024 } }, servedModel: 'gpt-4o-mini-2024-07-18', serviceTier: 'default' },
    estimatedUsage: null, attribution: { ...emptyAttribution(), feature: 'bot', task: 't', tags: { a: 'b' } },
    attempt: 2, retryOf: 'sdk-0', cacheStatus: 'none', footprint: { system: 1, tools: 2, history: 3, lastUser: 4 },
    requestText: null, responseText: null, source: 'sdk',
  };
  const wire = JSON.parse(JSON.stringify(callRecordToIngestRecord(record)));
  const check = checkIngestRecord(wire);
  assert.ok(check.ok);
  assert.deepEqual(check.warnings, []);
  assert.deepEqual(buildUsageEvent(ingestRecordToCallRecord(check.record, 0), catalog), buildUsageEvent(record, catalog));
  const estimated = { ...record, id: 'sdk-2', parsed: null, estimatedUsage: { ...record.parsed!.usage, output: 7 }, status: 499, errorType: 'client_disconnect' };
  const again = checkIngestRecord(JSON.parse(JSON.stringify(callRecordToIngestRecord(estimated))));
  assert.ok(again.ok);
  assert.deepEqual(buildUsageEvent(ingestRecordToCallRecord(again.record, 0), catalog), buildUsageEvent(estimated, catalog));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageEvent } from '../core/usage-event.js';
import { csvField, csvHeader, EXPORT_COLUMNS, eventToCsvLine, eventToExportRecord, eventToJsonLine } from './report-export.js';

const event: UsageEvent = {
  id: 'e1', ts: Date.UTC(2026, 10, 1, 9), latencyMs: 12, ttftMs: null, provider: 'openai', endpoint: 'chat.completions',
  requestedModel: 'gpt-4o', servedModel: 'gpt-4o-2024-08-06', pricedModel: 'gpt-4o', status: 200, errorType: null, stream: true,
  serviceTier: 'default',
  usage: { inputUncached: 10, cacheRead: 20, cacheWrite5m: 0, cacheWrite1h: 0, output: 5, reasoning: 0, webSearchRequests: 0 },
  rawUsage: '{"prompt_tokens":30}', estimated: false,
  cost: { input: 25_000_000, cacheRead: 1, cacheWrite: 0, output: 50_000_000, requestFees: 0, total: 75_000_001 },
  attribution: { feature: 'a,b', tenant: 'say "hi"', user: 'line\nbreak', team: null, task: null, template: null, env: ' padded', tags: { k: 'v' } },
  attempt: 1, retryOf: null, cacheStatus: 'none', footprint: null, source: 'gateway', requestText: null, responseText: null,
};

test('export record: money as exact USD decimal strings, null cost stays null', () => {
  const record = eventToExportRecord(event);
  assert.equal(record.cost_usd, '0.000075000001');
  assert.equal(record.cost_input_usd, '0.000025');
  assert.equal(record.time, '2026-11-01T09:00:00.000Z');
  assert.deepEqual(Object.keys(record), [...EXPORT_COLUMNS]);
  const unpriced = eventToExportRecord({ ...event, cost: null });
  assert.equal(unpriced.cost_usd, null);
  assert.equal(unpriced.cost_output_usd, null);
});

test('CSV: RFC 4180 quoting, empty for null, header matches columns', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('x\ny'), '"x\ny"');
  assert.equal(csvField(' lead'), '" lead"');
  assert.equal(csvField(null), '');
  assert.equal(csvField(false), 'false');
  assert.equal(csvHeader(), `${EXPORT_COLUMNS.join(',')}\r\n`);
  const line = eventToCsvLine(event);
  assert.ok(line.endsWith('\r\n'));
  assert.match(line, /,"a,b","say ""hi""","line\nbreak",,,," padded","{""k"":""v""}",1,/);
  assert.match(line, /,"{""prompt_tokens"":30}",,\r\n$/);
});

test('JSONL: one parseable object per line with the export keys', () => {
  const line = eventToJsonLine(event);
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), [...EXPORT_COLUMNS]);
  assert.deepEqual(parsed.tags, { k: 'v' });
  assert.equal(parsed.cost_usd, '0.000075000001');
});

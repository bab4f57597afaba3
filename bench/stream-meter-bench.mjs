#!/usr/bin/env node
// Micro-benchmark of the stream meters (the per-chunk hot path). Runs against the compiled dist/:
//   npx tsc -p . && node bench/stream-meter-bench.mjs
// Builds typical streams (a 1,000-delta chat answer, Responses and Anthropic equivalents), feeds them
// chunked one event per write (how providers flush) and in 16 KiB / 100-byte reads, and reports the best of
// 7 rounds as µs per chunk, MB/s and µs per whole stream.
import { performance } from 'node:perf_hooks';
import {
  createAnthropicMessagesStreamMeter, createOpenAIChatStreamMeter, createOpenAIResponsesStreamMeter, SseEventSplitter,
} from '../dist/src/providers/index.js';

const DELTAS = 1000;
const words = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', ' — café', ' 🗼', '.\n'];
const delta = (i) => words[i % words.length] + words[(i * 7) % words.length];

function chatStream() {
  const base = { id: 'chatcmpl-CqL8v1S0Hd7kA2nB4xYw3ZpQ9mRt', object: 'chat.completion.chunk', created: 1763800000, model: 'gpt-4o-2024-08-06', service_tier: 'default', system_fingerprint: 'fp_cbf1785567' };
  const events = [];
  for (let i = 0; i < DELTAS; i++) events.push(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: delta(i) }, logprobs: null, finish_reason: null }], usage: null, obfuscation: 'k3Qm' })}\n\n`);
  events.push(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null })}\n\n`);
  events.push(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 2006, completion_tokens: 3000, total_tokens: 5006, prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } } })}\n\n`);
  events.push('data: [DONE]\n\n');
  return events;
}

function responsesStream() {
  const events = [];
  let seq = 0;
  const ev = (type, rest) => events.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...rest })}\n\n`);
  const response = (status, usage) => ({ id: 'resp_68f1a2b3c4d5e6f7', object: 'response', created_at: 1763800200, status, model: 'gpt-5-2025-08-07', output: [], service_tier: 'default', usage });
  ev('response.created', { response: response('in_progress', null) });
  for (let i = 0; i < DELTAS; i++) ev('response.output_text.delta', { item_id: 'msg_68f1a2b3e4f5a6b7', output_index: 0, content_index: 0, delta: delta(i), logprobs: [], obfuscation: 'aZ' });
  ev('response.completed', { response: response('completed', { input_tokens: 2006, input_tokens_details: { cached_tokens: 1920 }, output_tokens: 3000, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 5006 }) });
  return events;
}

function anthropicStream() {
  const events = [];
  const ev = (type, rest) => events.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...rest })}\n\n`);
  ev('message_start', { message: { id: 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 42, cache_creation_input_tokens: 0, cache_read_input_tokens: 1920, output_tokens: 1, service_tier: 'standard' } } });
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  for (let i = 0; i < DELTAS; i++) {
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: delta(i) } });
    if (i % 200 === 0) ev('ping', {});
  }
  ev('content_block_stop', { index: 0 });
  ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3000 } });
  ev('message_stop', {});
  return events;
}

const perEvent = (events) => events.map((event) => Buffer.from(event, 'utf8'));
function reads(events, size) {
  const all = Buffer.from(events.join(''), 'utf8');
  const chunks = [];
  for (let at = 0; at < all.length; at += size) chunks.push(Buffer.from(all.subarray(at, at + size)));
  return chunks;
}

/** Best of 7 rounds of ~minMs each: the machine may be shared, and the best round is the least disturbed. */
function measure(label, chunks, makeMeter, minMs = 150) {
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const run = () => {
    const meter = makeMeter();
    for (const chunk of chunks) meter.write(chunk);
    meter.end();
    const result = meter.result?.();
    if (result && !result.parsed) throw new Error(`${label}: no usage metered`);
  };
  for (let i = 0; i < 50; i++) run(); // warm up the JIT
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    let streams = 0;
    const start = performance.now();
    while (performance.now() - start < minMs) {
      run();
      streams++;
    }
    best = Math.min(best, (performance.now() - start) / streams);
  }
  const usPerChunk = (best * 1000) / chunks.length;
  const mbPerS = bytes / (best / 1000) / 1e6;
  console.log(`${label.padEnd(58)} ${String(chunks.length).padStart(5)} chunks  ${usPerChunk.toFixed(2).padStart(7)} µs/chunk  ${mbPerS.toFixed(0).padStart(5)} MB/s  ${(best * 1000).toFixed(0).padStart(6)} µs/stream`);
}

const chat = chatStream();
const responses = responsesStream();
const anthropic = anthropicStream();
const splitterOnly = () => {
  const splitter = new SseEventSplitter();
  return { write: (chunk) => splitter.push(chunk), end: () => splitter.flush() };
};
console.log(`node ${process.version}; stream of ${DELTAS} text deltas (chat ${(chat.join('').length / 1024).toFixed(0)} KiB)`);
measure('SSE splitter alone, chat, one event per chunk', perEvent(chat), splitterOnly);
measure('chat meter, pass-through, one event per chunk', perEvent(chat), () => createOpenAIChatStreamMeter());
measure('chat meter, dropUsageChunk + annotate, one event per chunk', perEvent(chat), () => createOpenAIChatStreamMeter({ dropUsageChunk: true, annotate: () => ({ costUsd: '0.01' }) }));
measure('chat meter, pass-through, 16 KiB reads', reads(chat, 16384), () => createOpenAIChatStreamMeter());
measure('chat meter, annotate, 16 KiB reads', reads(chat, 16384), () => createOpenAIChatStreamMeter({ annotate: () => ({ costUsd: '0.01' }) }));
measure('chat meter, annotate, 100-byte reads (events split)', reads(chat, 100), () => createOpenAIChatStreamMeter({ annotate: () => ({ costUsd: '0.01' }) }));
measure('responses meter, annotate, one event per chunk', perEvent(responses), () => createOpenAIResponsesStreamMeter({ annotate: () => ({ costUsd: '0.01' }) }));
measure('anthropic meter, pass-through, one event per chunk', perEvent(anthropic), () => createAnthropicMessagesStreamMeter());
measure('anthropic meter, annotate, one event per chunk', perEvent(anthropic), () => createAnthropicMessagesStreamMeter({ annotate: () => ({ costUsd: '0.01' }) }));

import type { OutputPlan } from './output-plan.js';
import { sseEvent } from './sse-writer.js';
import { chunkPieces } from './text-generator.js';

const PING = sseEvent('ping', '{"type":"ping"}');

function splitText(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

/**
 * Renders a finished Message as Anthropic's SSE sequence (reference §2.4): message_start (input and
 * cache counts, output_tokens 1), per block start → ping (after the first) → deltas → stop, then
 * message_delta with cumulative usage, then message_stop.
 */
export function renderMessageStream(message: Record<string, any>, plan: OutputPlan, tokensPerChunk: number): string[] {
  const events: string[] = [];
  const usage = message.usage as Record<string, unknown>;
  const startUsage: Record<string, unknown> = { ...usage, output_tokens: Math.min(1, plan.outputTokens) };
  delete startUsage.output_tokens_details;
  const start = { ...message, content: [], stop_reason: null, stop_sequence: null, stop_details: null, usage: startUsage };
  events.push(sseEvent('message_start', JSON.stringify({ type: 'message_start', message: start })));

  (message.content as Array<Record<string, any>>).forEach((block, index) => {
    const delta = (payload: string) => events.push(`event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":${payload}}\n\n`);
    const opening =
      block.type === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : block.type === 'tool_use' ? { ...block, input: {} } : { type: 'text', text: '' };
    events.push(sseEvent('content_block_start', JSON.stringify({ type: 'content_block_start', index, content_block: opening })));
    if (index === 0) events.push(PING);
    if (block.type === 'thinking') {
      for (const part of splitText(block.thinking, 24 * tokensPerChunk)) delta(`{"type":"thinking_delta","thinking":${JSON.stringify(part)}}`);
      delta(`{"type":"signature_delta","signature":${JSON.stringify(block.signature)}}`);
    } else if (block.type === 'tool_use') {
      delta('{"type":"input_json_delta","partial_json":""}');
      for (const part of splitText(JSON.stringify(block.input), 4 * tokensPerChunk)) delta(`{"type":"input_json_delta","partial_json":${JSON.stringify(part)}}`);
    } else {
      for (const text of chunkPieces(plan.pieces, tokensPerChunk)) delta(`{"type":"text_delta","text":${JSON.stringify(text)}}`);
    }
    events.push(sseEvent('content_block_stop', `{"type":"content_block_stop","index":${index}}`));
  });

  const finalUsage: Record<string, unknown> = {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    output_tokens: usage.output_tokens,
  };
  if (usage.output_tokens_details !== undefined) finalUsage.output_tokens_details = usage.output_tokens_details;
  const delta = { stop_reason: message.stop_reason, stop_sequence: null, stop_details: null, container: null };
  events.push(sseEvent('message_delta', JSON.stringify({ type: 'message_delta', delta, usage: finalUsage })));
  events.push(sseEvent('message_stop', '{"type":"message_stop"}'));
  return events;
}

import type { OutputPlan } from './output-plan.js';
import { sseEvent } from './sse-writer.js';
import { chunkPieces } from './text-generator.js';

/**
 * Renders a finished Responses API answer as its SSE event sequence: created, in_progress, per
 * output item (added → parts/deltas → done), then `response.completed` (or `response.incomplete`)
 * carrying the full response with usage. Every event has a `sequence_number` starting at 0.
 */
export function renderResponseStream(response: Record<string, any>, plan: OutputPlan, tokensPerChunk: number): string[] {
  const events: string[] = [];
  let sequence = 0;
  const emit = (type: string, fields: Record<string, unknown>) =>
    events.push(sseEvent(type, JSON.stringify({ type, sequence_number: sequence++, ...fields })));

  const pending = { ...response, status: 'in_progress', incomplete_details: null, output: [], usage: null };
  emit('response.created', { response: pending });
  emit('response.in_progress', { response: pending });

  (response.output as Array<Record<string, any>>).forEach((item, outputIndex) => {
    if (item.type === 'message') {
      emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
      const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
      emit('response.content_part.added', { item_id: item.id, output_index: outputIndex, content_index: 0, part });
      // Deltas dominate the stream: one shared prefix, only the sequence number and text vary.
      const head = `{"type":"response.output_text.delta","sequence_number":`;
      const mid = `,"item_id":"${item.id}","output_index":${outputIndex},"content_index":0,"delta":`;
      for (const text of chunkPieces(plan.pieces, tokensPerChunk)) {
        events.push(`event: response.output_text.delta\ndata: ${head}${sequence++}${mid}${JSON.stringify(text)},"logprobs":[]}\n\n`);
      }
      const text = plan.text;
      emit('response.output_text.done', { item_id: item.id, output_index: outputIndex, content_index: 0, text, logprobs: [] });
      emit('response.content_part.done', { item_id: item.id, output_index: outputIndex, content_index: 0, part: { ...part, text } });
    } else if (item.type === 'function_call') {
      emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
      const args: string = item.arguments;
      const size = Math.max(4, tokensPerChunk * 4);
      for (let i = 0; i < args.length; i += size) {
        emit('response.function_call_arguments.delta', { item_id: item.id, output_index: outputIndex, delta: args.slice(i, i + size) });
      }
      emit('response.function_call_arguments.done', { item_id: item.id, output_index: outputIndex, name: item.name, arguments: args });
    } else {
      emit('response.output_item.added', { output_index: outputIndex, item });
    }
    emit('response.output_item.done', { output_index: outputIndex, item });
  });

  emit(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
  return events;
}

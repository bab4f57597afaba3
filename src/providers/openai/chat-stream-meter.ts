import { firstStringValue, hasNonNullValue, parseJsonObject } from '../json-scan.js';
import { SseMeterPipe, utf8, type SseEventHandler } from '../sse-meter-pipe.js';
import { streamErrorFrom } from '../stream-error.js';
import { StreamTextCollector } from '../stream-text-collector.js';
import type { ParsedUsage, StreamMeter, StreamMeterOptions, StreamResult } from '../types.js';
import { convertChatUsage } from './convert-chat-usage.js';

/** Keys whose string values are generated text in a chat chunk: content, tool-call arguments, refusal. */
const TEXT_KEYS = ['"content":', '"arguments":', '"refusal":'] as const;

/**
 * Meters an OpenAI Chat Completions SSE stream (`data: {chunk}` ... `data: [DONE]`). Usage comes from
 * the chunk whose `usage` is an object (with include_usage: `choices: []`, just before [DONE]). That
 * chunk is dropped when `dropUsageChunk` is set, or re-serialized with a top-level `tokenmeter` key when
 * `annotate` returns one. A run of plain content chunks costs a few substring scans; only chunks with a
 * non-null usage or an error are JSON-parsed.
 */
export function createOpenAIChatStreamMeter(options: StreamMeterOptions = {}): StreamMeter {
  const text = new StreamTextCollector();
  let parsed: ParsedUsage | null = null;
  let completed = false;
  let error: StreamResult['error'] = null;
  let servedModel: string | null = null;

  const handler: SseEventHandler = {
    scan(block) {
      text.collect(block, TEXT_KEYS); // the keys only occur in chunk deltas, so one pass over the block suffices
      // Cheap triggers (patterns with rare leading bytes): a usage object always has prompt_tokens.
      return servedModel === null || block.includes('[DONE]') || block.includes('prompt_tokens') || block.includes('{"error"') || block.includes('vent: error');
    },
    onEvent(name, data) {
      if (name === 'error') {
        error = streamErrorFrom(parseJsonObject(utf8(data)));
        return undefined;
      }
      if (data.charCodeAt(0) === 91 /* [ */) {
        if (data.startsWith('[DONE]')) completed = true;
        return undefined;
      }
      if (servedModel === null) {
        const model = firstStringValue(data, '"model":');
        if (model !== null) servedModel = utf8(model);
      }
      if (hasNonNullValue(data, '"usage":')) return onUsageChunk(name, data);
      if (data.includes('"error":')) {
        const payload = parseJsonObject(utf8(data));
        if (payload && payload.error) error = streamErrorFrom(payload);
      }
      return undefined;
    },
  };

  function onUsageChunk(name: string | null, data: string): string | undefined {
    const chunk = parseJsonObject(utf8(data));
    const usage = convertChatUsage(chunk);
    if (!chunk || !usage) return undefined;
    parsed = usage;
    if (usage.servedModel) servedModel = usage.servedModel;
    const usageOnly = Array.isArray(chunk.choices) && chunk.choices.length === 0;
    if (options.dropUsageChunk && usageOnly) return '';
    const extra = options.annotate?.(usage) ?? null;
    if (extra === null) return undefined;
    chunk.tokenmeter = extra;
    return `${name === null ? '' : `event: ${name}\n`}data: ${JSON.stringify(chunk)}\n\n`;
  }

  const pipe = new SseMeterPipe(handler, Boolean(options.dropUsageChunk || options.annotate));
  return {
    write: (chunk) => pipe.write(chunk),
    end: () => pipe.end(),
    result: () => ({ parsed, completed, outputText: text.text(), error, servedModel }),
  };
}

import { asObject, asString } from '../json-fields.js';
import { firstStringValue, parseJsonObject } from '../json-scan.js';
import { SseMeterPipe, utf8, type SseEventHandler } from '../sse-meter-pipe.js';
import { streamErrorFrom } from '../stream-error.js';
import { StreamTextCollector } from '../stream-text-collector.js';
import type { ParsedUsage, StreamMeter, StreamMeterOptions, StreamResult } from '../types.js';
import { convertMessagesUsage } from './convert-messages-usage.js';

/** Keys of generated text in content_block_delta events: text, tool input JSON, thinking. */
const TEXT_KEYS = ['"text":', '"partial_json":', '"thinking":'] as const;

/**
 * Meters an Anthropic Messages SSE stream. Input and cache counts come from `message_start`, overridden
 * by non-null values of each (cumulative) `message_delta`; output from the last `message_delta`;
 * `completed` on `message_stop`. With `annotate`, the last message_delta is held back until the next
 * non-ping event (normally message_stop, in the same chunk) shows it was the last, then forwarded with a
 * top-level `tokenmeter` key: the cost is only final there.
 */
export function createAnthropicMessagesStreamMeter(options: StreamMeterOptions = {}): StreamMeter {
  const text = new StreamTextCollector();
  const annotating = Boolean(options.annotate);
  let merged: Record<string, unknown> | null = null;
  let sawDelta = false;
  let completed = false;
  let error: StreamResult['error'] = null;
  let servedModel: string | null = null;
  let held: { name: string | null; event: Record<string, unknown>; raw: string; after: string } | null = null;

  const current = (): ParsedUsage | null => (merged === null ? null : convertMessagesUsage({ model: servedModel, usage: merged }));

  function release(annotate: boolean): string {
    if (held === null) return '';
    const { name, event, raw, after } = held;
    held = null;
    const usage = annotate ? current() : null;
    const extra = usage ? (options.annotate?.(usage) ?? null) : null;
    if (extra === null) return raw + after;
    event.tokenmeter = extra;
    return `${name === null ? '' : `event: ${name}\n`}data: ${JSON.stringify(event)}\n\n${after}`;
  }

  const handler: SseEventHandler = {
    scan(block) {
      // The text keys occur only in content_block_delta (message_start content is empty, block starts hold
      // empty strings), so one pass over the block suffices; plain delta runs need no per-event work.
      text.collect(block, TEXT_KEYS);
      return held !== null || block.includes('message_') || block.includes('vent: error') || block.includes('"type":"error"');
    },
    onEvent(name, data, source, start, end) {
      const type = name ?? firstStringValue(data, '"type":');
      if (type === 'content_block_delta') {
        // collected in scan()
      } else if (type === 'ping') {
        if (held === null) return undefined;
        held.after += utf8(source.slice(start, end));
        return '';
      } else if (type === 'message_delta') {
        const event = parseJsonObject(utf8(data));
        const usage = asObject(event?.usage);
        if (usage) {
          merged ??= {};
          for (const key in usage) if (usage[key] !== null && usage[key] !== undefined) merged[key] = usage[key];
          sawDelta = true;
        }
        if (!annotating || !event) return undefined;
        const previous = release(false);
        held = { name, event, raw: utf8(source.slice(start, end)), after: '' };
        return previous;
      } else if (type === 'message_start') {
        const message = asObject(parseJsonObject(utf8(data))?.message);
        servedModel = asString(message?.model) ?? servedModel;
        const usage = asObject(message?.usage);
        if (usage) merged = { ...usage, ...(merged ?? {}) };
      } else if (type === 'message_stop') {
        completed = true;
      } else if (type === 'error') {
        error = streamErrorFrom(parseJsonObject(utf8(data)));
      }
      if (held === null) return undefined;
      return release(true) + utf8(source.slice(start, end));
    },
    onEnd() {
      return held === null ? undefined : release(true);
    },
  };

  const pipe = new SseMeterPipe(handler, annotating);
  return {
    write: (chunk) => pipe.write(chunk),
    end: () => pipe.end(),
    result: () => {
      const usage = current();
      return {
        parsed: sawDelta ? usage : null,
        completed,
        outputText: text.text(),
        error,
        servedModel,
        partial: sawDelta ? null : usage,
      };
    },
  };
}

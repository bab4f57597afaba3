import { asObject, asString } from '../json-fields.js';
import { firstStringValue, parseJsonObject } from '../json-scan.js';
import { SseMeterPipe, utf8, type SseEventHandler } from '../sse-meter-pipe.js';
import { streamErrorFrom } from '../stream-error.js';
import { StreamTextCollector } from '../stream-text-collector.js';
import type { ParsedUsage, StreamMeter, StreamMeterOptions, StreamResult } from '../types.js';
import { convertResponsesUsage } from './convert-responses-usage.js';

/** Delta events whose `delta` string is generated text (visible, tool-call arguments, refusal, reasoning). */
const TEXT_DELTA_EVENTS = new Set([
  'response.output_text.delta',
  'response.function_call_arguments.delta',
  'response.custom_tool_call_input.delta',
  'response.refusal.delta',
  'response.reasoning_text.delta',
  'response.reasoning_summary_text.delta',
]);
const DELTA_KEY = ['"delta":'] as const;
const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Meters an OpenAI Responses SSE stream (named events). Usage comes from `response.usage` of the
 * terminal event (`response.completed`, `response.incomplete` or `response.failed`); `annotate` adds a
 * top-level `tokenmeter` key to that event's data. Only the first event, the terminal event and
 * errors are JSON-parsed; text deltas are scanned.
 */
export function createOpenAIResponsesStreamMeter(options: StreamMeterOptions = {}): StreamMeter {
  const text = new StreamTextCollector();
  let parsed: ParsedUsage | null = null;
  let completed = false;
  let error: StreamResult['error'] = null;
  let servedModel: string | null = null;

  const handler: SseEventHandler = {
    onEvent(name, data) {
      const type = name ?? firstStringValue(data, '"type":');
      if (type === null) return undefined;
      if (TEXT_DELTA_EVENTS.has(type)) {
        text.collect(data, DELTA_KEY);
        return undefined;
      }
      if (TERMINAL_EVENTS.has(type)) return onTerminal(type, name, data);
      if (type === 'error') {
        error = streamErrorFrom(parseJsonObject(utf8(data)));
      } else if (servedModel === null && (type === 'response.created' || type === 'response.in_progress')) {
        servedModel = asString(asObject(parseJsonObject(utf8(data))?.response)?.model);
      }
      return undefined;
    },
  };

  function onTerminal(type: string, name: string | null, data: string): string | undefined {
    completed = true;
    const event = parseJsonObject(utf8(data));
    const response = asObject(event?.response);
    servedModel = asString(response?.model) ?? servedModel;
    if (type === 'response.failed') error = streamErrorFrom({ error: response?.error ?? null }, 'response_failed');
    const usage = convertResponsesUsage(response);
    if (!event || !usage) return undefined;
    parsed = usage;
    const extra = options.annotate?.(usage) ?? null;
    if (extra === null) return undefined;
    event.tokenmeter = extra;
    return `${name === null ? '' : `event: ${name}\n`}data: ${JSON.stringify(event)}\n\n`;
  }

  const pipe = new SseMeterPipe(handler, Boolean(options.annotate));
  return {
    write: (chunk) => pipe.write(chunk),
    end: () => pipe.end(),
    result: () => ({ parsed, completed, outputText: text.text(), error, servedModel }),
  };
}


import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FaultKind } from './simulator-options.js';

/** One unnamed SSE event (OpenAI Chat Completions framing). */
export function sseData(json: string): string {
  return `data: ${json}\n\n`;
}

/** One named SSE event (Responses API and Anthropic framing). */
export function sseEvent(name: string, json: string): string {
  return `event: ${name}\ndata: ${json}\n\n`;
}

/** The Chat Completions stream terminator. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** When events are released: first after `ttftMs`, then one every `interChunkMs`. */
export interface Pacing {
  ttftMs: number;
  interChunkMs: number;
}

/** A copy of `event` whose JSON payload is cut in half: a `data:` line no parser accepts. */
export function breakEvent(event: string): string {
  const start = event.indexOf('data: ') + 6;
  const end = event.indexOf('\n', start);
  const json = event.slice(start, end);
  return event.slice(0, start) + json.slice(0, Math.max(1, json.length >> 1)) + '\n\n';
}

/**
 * Applies stream faults to the event list: `malformed-sse` inserts a broken copy of the middle
 * event (the stream then continues), `error-event` replaces the second half with the provider's
 * error event. Returns the events and, for `reset`, how many to send before dropping the socket.
 */
export function applyStreamFault(events: string[], fault: FaultKind | null, errorEvent: string): { events: string[]; resetAfter: number | null } {
  const middle = Math.max(1, events.length >> 1);
  switch (fault) {
    case 'malformed-sse':
      return { events: [...events.slice(0, middle), breakEvent(events[middle] ?? events[0]!), ...events.slice(middle)], resetAfter: null };
    case 'error-event':
      return { events: [...events.slice(0, middle), errorEvent], resetAfter: null };
    case 'reset':
      return { events, resetAfter: middle };
    default:
      return { events, resetAfter: null };
  }
}

function destroyAfterFlush(res: ServerResponse, data: string): void {
  res.write(data, () => res.socket?.destroy());
}

/**
 * Sends an SSE body with pacing. With no delays the whole body goes out in one write (the
 * load-test path); otherwise each event gets its own timer, cancelled if the client leaves.
 */
export function writeEventStream(
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
  events: string[],
  resetAfter: number | null,
  pacing: Pacing,
): void {
  const total = resetAfter ?? events.length;
  if (pacing.ttftMs === 0 && pacing.interChunkMs === 0) {
    res.writeHead(200, headers);
    const body = events.length === total ? events.join('') : events.slice(0, total).join('');
    if (resetAfter !== null) destroyAfterFlush(res, body);
    else res.end(body);
    return;
  }
  let index = 0;
  let timer: NodeJS.Timeout | null = null;
  res.once('close', () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  });
  const step = () => {
    timer = null;
    if (res.destroyed) return;
    if (index === 0) res.writeHead(200, headers);
    const event = events[index++]!;
    if (index === total) {
      if (resetAfter !== null) destroyAfterFlush(res, event);
      else res.end(event);
      return;
    }
    res.write(event);
    timer = setTimeout(step, pacing.interChunkMs);
  };
  timer = setTimeout(step, pacing.ttftMs);
}

/**
 * Sends a complete (JSON or raw) body after `delayMs`. `reset` announces the full length, sends half and drops the
 * socket; `malformed-sse` (non-streaming) sends a truncated, unparseable body with status 200.
 */
export function writeBody(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: string,
  delayMs: number,
  fault: FaultKind | null,
): void {
  const send = () => {
    if (res.destroyed) return;
    if (fault === 'reset') {
      res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
      destroyAfterFlush(res, body.slice(0, body.length >> 1));
      return;
    }
    const payload = fault === 'malformed-sse' ? body.slice(0, body.length >> 1) : body;
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
  if (delayMs <= 0) {
    send();
    return;
  }
  const timer = setTimeout(send, delayMs);
  res.once('close', () => clearTimeout(timer));
}

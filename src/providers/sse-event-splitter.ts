/**
 * Splits an SSE byte stream into runs of complete events. Event boundaries are found on bytes (a blank
 * line is `\n\n` or `\r\n\r\n`, also mixed), and `\n` never occurs inside a multi-byte UTF-8 character, so
 * a run of complete events always decodes cleanly whatever byte the network split at. Lone-CR line
 * endings (allowed by the SSE spec, used by no LLM provider) are not recognised as boundaries.
 */
export class SseEventSplitter {
  #pending: Buffer | null = null;

  /**
   * Takes the next chunk; returns the bytes of the complete events now available (the chunk itself when it
   * ends on an event boundary and nothing was held), or null. Holds the incomplete tail.
   */
  push(chunk: Buffer): Buffer | null {
    let data = chunk;
    let from = 0;
    if (this.#pending !== null) {
      from = Math.max(0, this.#pending.length - 2); // a boundary may straddle the join
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    const cut = lastEventEnd(data, from);
    if (cut === data.length) return data;
    this.#pending = data.subarray(cut);
    return cut === 0 ? null : data.subarray(0, cut);
  }

  /** The held incomplete tail (stream ended without a final blank line), or null. */
  flush(): Buffer | null {
    const rest = this.#pending;
    this.#pending = null;
    return rest;
  }

  /** Bytes currently held back. */
  get pendingBytes(): number {
    return this.#pending?.length ?? 0;
  }
}

/** End offset (exclusive) of the last blank line at or after `from`, 0 when none. */
function lastEventEnd(data: Buffer, from: number): number {
  let index = data.length - 1;
  while (index >= from) {
    const newline = data.lastIndexOf(10, index);
    if (newline < from || newline < 1) return 0;
    const previous = data[newline - 1];
    if (previous === 10) return newline + 1;
    if (previous === 13 && newline >= 2 && data[newline - 2] === 10) return newline + 1;
    index = newline - 1;
  }
  return 0;
}

/** Called for each event of a block: `name` is the `event:` field, `data` the joined `data:` lines. */
export type SseEventVisitor = (name: string | null, data: string, start: number, end: number) => void;

/**
 * Walks the events in decoded SSE text (complete events; a trailing event without its blank line is
 * visited too). `start`/`end` delimit the event's text, blank line included. Comment-only and empty
 * events are skipped. `id:` and `retry:` are ignored: no provider uses them for LLM streams.
 */
export function forEachSseEvent(text: string, visit: SseEventVisitor): void {
  let position = 0;
  let eventStart = 0;
  let name: string | null = null;
  let data: string | null = null;
  const length = text.length;
  while (position < length) {
    let newline = text.indexOf('\n', position);
    if (newline === -1) newline = length;
    let lineEnd = newline;
    if (lineEnd > position && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    if (lineEnd === position) {
      if (data !== null || name !== null) visit(name, data ?? '', eventStart, Math.min(newline + 1, length));
      eventStart = newline + 1;
      name = null;
      data = null;
    } else {
      const first = text.charCodeAt(position);
      if (first === 100 /* d */ && text.startsWith('data', position)) {
        const value = fieldValue(text, position + 4, lineEnd);
        if (value !== null) data = data === null ? value : `${data}\n${value}`;
      } else if (first === 101 /* e */ && text.startsWith('event', position)) {
        const value = fieldValue(text, position + 5, lineEnd);
        if (value !== null) name = value;
      }
    }
    position = newline + 1;
  }
  if (data !== null || name !== null) visit(name, data ?? '', eventStart, length);
}

/** The value after `field:` (one leading space dropped), or null when the field name continues. */
function fieldValue(text: string, afterName: number, lineEnd: number): string | null {
  if (afterName === lineEnd) return '';
  if (text.charCodeAt(afterName) !== 58 /* : */) return null;
  let start = afterName + 1;
  if (text.charCodeAt(start) === 32) start++;
  return text.slice(start, lineEnd);
}

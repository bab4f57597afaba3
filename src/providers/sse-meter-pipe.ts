import { forEachSseEvent, SseEventSplitter } from './sse-event-splitter.js';

/**
 * Per-format logic of a stream meter. Text handed to it is the block decoded as latin1: one char per
 * byte, so indices are byte offsets and decoding is a plain copy. JSON syntax and every key are ASCII;
 * use `utf8()` on the (rare) pieces that are parsed or kept as text.
 */
export interface SseEventHandler {
  /**
   * Sees a whole run of complete events first (block-wide substring scans are cheaper than per-event
   * work); returns false when no event in it needs `onEvent`.
   */
  scan?(text: string): boolean;
  /**
   * One complete event (`text.slice(start, end)` is its original text). Returns undefined to forward it
   * as is, or the text to forward instead ('' drops it, or holds it for later). Replacements are only
   * honoured when the pipe was created with `rewrite`.
   */
  onEvent(name: string | null, data: string, text: string, start: number, end: number): string | undefined;
  /** Upstream ended: text still to forward (events the handler held back), if any. */
  onEnd?(): string | undefined;
}

/** Decodes latin1-decoded text (one char per byte) back into the UTF-8 string it encodes. */
export function utf8(latin1Text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(latin1Text) ? Buffer.from(latin1Text, 'latin1').toString('utf8') : latin1Text;
}

/**
 * Runs a handler over an SSE byte stream. Without `rewrite` every chunk is forwarded untouched at once
 * (the same Buffer) and only complete events are parsed; with `rewrite` forwarding is event-aligned, so
 * at most one incomplete event is held back, and an unchanged run of events is forwarded as the same bytes.
 */
export class SseMeterPipe {
  readonly #splitter = new SseEventSplitter();
  readonly #handler: SseEventHandler;
  readonly #rewrite: boolean;

  constructor(handler: SseEventHandler, rewrite: boolean) {
    this.#handler = handler;
    this.#rewrite = rewrite;
  }

  /** Feeds a chunk from upstream; returns what to forward now. */
  write(chunk: Buffer): Buffer | string | null {
    const block = this.#splitter.push(chunk);
    if (!this.#rewrite) {
      if (block !== null) this.#process(block);
      return chunk;
    }
    return block === null ? null : this.#process(block);
  }

  /** Upstream ended: meters a trailing event that lacked its blank line; returns what is left to forward. */
  end(): Buffer | string | null {
    const tail = this.#splitter.flush();
    const out = tail === null ? null : this.#process(tail);
    const held = this.#handler.onEnd?.();
    if (!this.#rewrite) return null;
    if (!held) return out;
    return out === null ? held : Buffer.concat([out, Buffer.from(held, 'utf8')]);
  }

  #process(block: Buffer): Buffer {
    const text = block.toString('latin1');
    const handler = this.#handler;
    if (handler.scan && !handler.scan(text)) return block;
    let pieces: Buffer[] | null = null;
    let copied = 0;
    forEachSseEvent(text, (name, data, start, end) => {
      const replacement = handler.onEvent(name, data, text, start, end);
      if (replacement === undefined || !this.#rewrite) return;
      pieces ??= [];
      pieces.push(block.subarray(copied, start), Buffer.from(replacement, 'utf8'));
      copied = end;
    });
    if (pieces === null) return block;
    const parts: Buffer[] = pieces;
    parts.push(block.subarray(copied));
    return Buffer.concat(parts);
  }
}

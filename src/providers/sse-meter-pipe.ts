import { forEachSseEvent, SseEventSplitter } from './sse-event-splitter.js';

/** Per-format logic of a stream meter: sees each complete event, may rewrite it. */
export interface SseEventHandler {
  /**
   * One complete event (`text.slice(start, end)` is its original text). Returns undefined to forward it
   * as is, or the text to forward instead ('' drops it, or holds it for later). Replacements are only
   * honoured when the pipe was created with `rewrite`.
   */
  onEvent(name: string | null, data: string, text: string, start: number, end: number): string | undefined;
  /** Upstream ended: text still to forward (events the handler held back), if any. */
  onEnd?(): string | undefined;
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
      if (block !== null) this.#visit(block.toString('utf8'));
      return chunk;
    }
    return block === null ? null : this.#process(block);
  }

  /** Upstream ended: meters a trailing event that lacked its blank line; returns what is left to forward. */
  end(): Buffer | string | null {
    const tail = this.#splitter.flush();
    if (!this.#rewrite) {
      if (tail !== null) this.#visit(tail.toString('utf8'));
      this.#handler.onEnd?.();
      return null;
    }
    const out = tail === null ? null : this.#process(tail);
    const held = this.#handler.onEnd?.();
    if (!held) return out;
    return out === null ? held : `${typeof out === 'string' ? out : out.toString('utf8')}${held}`;
  }

  #visit(text: string): void {
    forEachSseEvent(text, (name, data, start, end) => {
      this.#handler.onEvent(name, data, text, start, end);
    });
  }

  #process(block: Buffer): Buffer | string {
    const text = block.toString('utf8');
    let out: string | null = null;
    let copied = 0;
    forEachSseEvent(text, (name, data, start, end) => {
      const replacement = this.#handler.onEvent(name, data, text, start, end);
      if (replacement === undefined) return;
      out = (out ?? '') + text.slice(copied, start) + replacement;
      copied = end;
    });
    if (out === null) return block;
    return out + text.slice(copied);
  }
}

import { collectStringValues, decodeStringValues } from './json-scan.js';
import { utf8 } from './sse-meter-pipe.js';

/**
 * Accumulates generated text of a stream as raw JSON string bodies (latin1 slices of the stream, see
 * SseMeterPipe) and decodes them only when asked (the text is needed only when usage never arrives),
 * keeping the per-chunk cost to substring scans.
 */
export class StreamTextCollector {
  readonly #parts: string[] = [];
  #decoded: string | null = '';

  /** Collects every string value of the given keys (needles like `"content":`) in latin1 event text. */
  collect(data: string, needles: readonly string[]): void {
    for (const needle of needles) {
      if (collectStringValues(data, needle, this.#parts) > 0) this.#decoded = null;
    }
  }

  /** The text seen so far, decoded. */
  text(): string {
    if (this.#decoded === null) this.#decoded = decodeStringValues([utf8(this.#parts.join(''))]);
    return this.#decoded;
  }
}

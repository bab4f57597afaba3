import { collectStringValues, decodeStringValues } from './json-scan.js';

/**
 * Accumulates generated text of a stream as raw JSON string bodies and decodes them only when asked
 * (the text is needed only when usage never arrives), keeping the per-chunk cost to substring scans.
 */
export class StreamTextCollector {
  readonly #parts: string[] = [];
  #decoded: string | null = '';

  /** Collects every string value of the given keys (needles like `"content":`) in one event's data. */
  collect(data: string, needles: readonly string[]): void {
    for (const needle of needles) {
      if (collectStringValues(data, needle, this.#parts) > 0) this.#decoded = null;
    }
  }

  /** The text seen so far, decoded. */
  text(): string {
    if (this.#decoded === null) this.#decoded = decodeStringValues(this.#parts);
    return this.#decoded;
  }
}

/**
 * Substring scans over raw JSON text, for the streaming hot path: cheaper than JSON.parse on every chunk.
 * They rely on JSON escaping: inside a string value every `"` is escaped, so an unescaped `"key":` is a key.
 */

/** Index of the closing quote of the JSON string whose body starts at `from`, or -1. */
export function jsonStringEnd(text: string, from: number): number {
  let quote = text.indexOf('"', from);
  while (quote !== -1) {
    let backslashes = 0;
    for (let k = quote - 1; k >= from && text.charCodeAt(k) === 92; k--) backslashes++;
    if ((backslashes & 1) === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

/**
 * Pushes the raw (still escaped) body of every string value of `"key":` (needle includes quotes and colon).
 * Searches without the leading quote and checks it after: `"` is the commonest byte of JSON, so a pattern
 * starting with it makes indexOf stop at every key (measured ~2-4x slower).
 */
export function collectStringValues(text: string, needle: string, sink: string[]): number {
  const tail = needle.slice(1);
  let added = 0;
  let index = text.indexOf(tail);
  while (index !== -1) {
    let position = index + tail.length;
    if (index === 0 || text.charCodeAt(index - 1) !== 34) {
      index = text.indexOf(tail, position);
      continue;
    }
    while (text.charCodeAt(position) === 32) position++;
    if (text.charCodeAt(position) !== 34) {
      index = text.indexOf(tail, position);
      continue;
    }
    const end = jsonStringEnd(text, position + 1);
    if (end === -1) return added;
    if (end > position + 1) {
      sink.push(text.slice(position + 1, end));
      added += end - position - 1;
    }
    index = text.indexOf(tail, end + 1);
  }
  return added;
}

/** The raw body of the first string value of `"key":`, or null. */
export function firstStringValue(text: string, needle: string): string | null {
  const found: string[] = [];
  let index = text.indexOf(needle);
  while (index !== -1 && found.length === 0) {
    let position = index + needle.length;
    while (text.charCodeAt(position) === 32) position++;
    if (text.charCodeAt(position) === 34) {
      const end = jsonStringEnd(text, position + 1);
      return end === -1 ? null : text.slice(position + 1, end);
    }
    index = text.indexOf(needle, position);
  }
  return null;
}

/** True when `"key":` is present with a value other than null (needle includes quotes and colon). */
export function hasNonNullValue(text: string, needle: string): boolean {
  let index = text.indexOf(needle);
  while (index !== -1) {
    let position = index + needle.length;
    while (text.charCodeAt(position) === 32) position++;
    if (!text.startsWith('null', position)) return true;
    index = text.indexOf(needle, position);
  }
  return false;
}

/** Decodes raw JSON string bodies collected by `collectStringValues` into one string. */
export function decodeStringValues(parts: readonly string[]): string {
  const joined = parts.join('');
  if (!joined.includes('\\')) return joined;
  try {
    return JSON.parse(`"${joined}"`) as string;
  } catch {
    return joined; // a malformed escape upstream: keep the raw text, it still serves for an estimate
  }
}

/** JSON.parse that returns null instead of throwing (a malformed event must not break the stream). */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

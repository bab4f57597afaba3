/** Edits of a JSON object's bytes that leave the rest of it untouched (no decoding, no re-serializing). */

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * The object with `member` (`"key":value`, valid JSON) added as its first member, or null when `raw` does not
 * start with an object. The caller makes sure the key is not already there (a duplicate key would be
 * ambiguous: most parsers keep the last one).
 */
export function prependMember(raw: Buffer, member: string): Buffer | null {
  const open = skipWhitespace(raw, 0);
  if (raw[open] !== 0x7b) return null;
  const next = skipWhitespace(raw, open + 1);
  if (next >= raw.length) return null;
  const inserted = Buffer.from(raw[next] === 0x7d ? member : `${member},`, 'latin1');
  return Buffer.concat([raw.subarray(0, open + 1), inserted, raw.subarray(open + 1)], raw.length + inserted.length);
}

function skipWhitespace(raw: Buffer, from: number): number {
  let at = from;
  while (at < raw.length && WHITESPACE.has(raw[at]!)) at++;
  return at;
}

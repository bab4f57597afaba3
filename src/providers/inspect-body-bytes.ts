import { isAscii } from 'node:buffer';
import { bodyText } from './utf8-text.js';
import type { EndpointAdapter, RequestInfo } from './endpoint-adapter.js';

/**
 * JSON.parse of a UTF-8 body read as latin1 (a plain copy, no decoding). Every structural character of JSON is
 * ASCII, so the structure, numbers and ASCII strings come out exact, and a multi-byte character inside a string
 * comes out as one latin1 character per byte. Enough to inspect a request (model, flags, caps, lengths for the
 * footprint estimate) without decoding the whole body: with 26 multi-byte characters in a 5.5 KB body that saves
 * 4-7 µs (bench/hotpath-bench.mjs) and an 11 KB two-byte string per request. Strings from a non-ASCII body are not
 * exact (`hasNonAscii` tells which to re-read), and a body to re-serialize must be parsed from its decoded text.
 * Accepts exactly what JSON.parse of the decoded text accepts: bytes >= 0x80 are legal inside JSON strings either
 * way (invalid UTF-8 there is replaced by Node's decoder, not rejected), and illegal anywhere else.
 */
export function parseJsonBytes(body: Buffer): unknown {
  return JSON.parse(body.toString('latin1'));
}

/**
 * Whether a string, or any string or key inside an array or object, has a character outside ASCII (false for null
 * and other values). Walks the value without serializing it.
 */
export function hasNonAscii(value: unknown): boolean {
  if (typeof value === 'string') {
    for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return true;
    return false;
  }
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasNonAscii);
  for (const key in value) if (hasNonAscii(key) || hasNonAscii((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** A request body inspected from its bytes. */
export interface InspectedBody {
  info: RequestInfo;
  /** The body parsed from its bytes: exact structure, keys and ASCII strings; for reading, not for sending. */
  fast: Record<string, unknown>;
  /** The body parsed from its decoded text when that was needed or free (an ASCII body: `fast` itself). */
  exact: Record<string, unknown> | null;
}

/**
 * Inspects a JSON request body without decoding it (`parseJsonBytes`). The prompt footprint therefore counts
 * UTF-8 bytes (chars/4 for ASCII; text in other scripts weighs more, closer to its token count); when a string
 * the inspection passes on (model, user, metadata) holds non-ASCII text, those come from the decoded body.
 * Throws a SyntaxError for invalid JSON; null when the body is not a JSON object.
 */
export function inspectBodyBytes(adapter: EndpointAdapter, raw: Buffer): InspectedBody | null {
  const fast = parseJsonBytes(raw);
  if (fast === null || typeof fast !== 'object' || Array.isArray(fast)) return null;
  const object = fast as Record<string, unknown>;
  const info = adapter.inspect(object);
  if (isAscii(raw)) return { info, fast: object, exact: object };
  if (!inspectedStringsNonAscii(info)) return { info, fast: object, exact: null };
  const exact = parseDecoded(raw);
  return { info: { ...adapter.inspect(exact), footprint: info.footprint }, fast: object, exact };
}

/** The body parsed from its decoded UTF-8 text: exact strings, fit to change and re-serialize. */
export function parseDecoded(raw: Buffer): Record<string, unknown> {
  return JSON.parse(bodyText(raw)) as Record<string, unknown>;
}

function inspectedStringsNonAscii(info: RequestInfo): boolean {
  return hasNonAscii(info.model) || hasNonAscii(info.user) || hasNonAscii(info.metadata);
}

import { isAscii, isUtf8, transcode } from 'node:buffer';

let transcodeWorks = true;

/**
 * The text of a UTF-8 body, identical to `body.toString('utf8')` but faster for JSON bodies: pure ASCII is
 * read as latin1 (a copy, no decoding), and valid UTF-8 with some non-ASCII characters (accents, "€",
 * emoji, CJK) goes through ICU's transcoder, 2-10x faster than V8's UTF-8 decoder on such text. Invalid
 * UTF-8 keeps `toString`, so replacement characters are exactly Node's.
 */
export function bodyText(body: Buffer): string {
  if (isAscii(body)) return body.toString('latin1');
  if (transcodeWorks && isUtf8(body)) {
    try {
      return transcode(body, 'utf8', 'ucs2').toString('ucs2');
    } catch {
      transcodeWorks = false; // a Node built without ICU
    }
  }
  return body.toString('utf8');
}

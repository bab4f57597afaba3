// Test support for the provider adapters: fixture loading and chunked stream replay. Not used at run time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StreamMeter } from '../types.js';

/** Raw bytes of a fixture file (read from the source tree: tsc does not copy fixtures into dist). */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(process.cwd(), 'src/providers/__fixtures__', name));
}

/** A parsed JSON fixture. */
export function fixtureJson(name: string): unknown {
  return JSON.parse(fixtureBytes(name).toString('utf8'));
}

/** Deterministic PRNG (mulberry32) so random byte splits are reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits bytes into chunks of 1..maxChunk bytes at seeded random points (any byte, mid-character included). */
export function randomChunks(bytes: Buffer, seed: number, maxChunk = 40): Buffer[] {
  const random = seededRandom(seed);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * maxChunk);
    chunks.push(Buffer.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return chunks;
}

/** Feeds chunks through a meter and returns everything it forwarded, joined. */
export function pump(meter: StreamMeter, chunks: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  const take = (value: Buffer | string | null): void => {
    if (value !== null) out.push(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
  };
  for (const chunk of chunks) take(meter.write(chunk));
  take(meter.end());
  return Buffer.concat(out);
}

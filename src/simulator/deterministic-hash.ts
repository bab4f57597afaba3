// Small non-cryptographic hashing and a seeded PRNG. The simulator must be reproducible
// (same seed + same prompt => same answer) and cheap enough to sit under load tests.

/** 32-bit FNV-1a of a string, mixed with `seed`. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return finalizeHash(h);
}

/** Mixes several 32-bit integers into one (order-sensitive). */
export function hashInts(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h ^= v | 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  }
  return finalizeHash(h);
}

function finalizeHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seeded uniform generator in [0, 1) (mulberry32): deterministic for a given seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Rolling two-lane (64-bit total) hash over a sequence, read at chosen positions.
 * Prompt-cache prefixes are identified by it: equal prefixes give equal states.
 */
export class PrefixHasher {
  private lane1 = 0x811c9dc5;
  private lane2 = 0x2545f491;

  /** Feeds one integer (a token id). */
  addInt(value: number): void {
    this.lane1 = Math.imul(this.lane1 ^ value, 0x01000193);
    this.lane2 = Math.imul(this.lane2 ^ value, 0x5bd1e995);
    this.lane2 ^= this.lane2 >>> 15;
  }

  /** Feeds a string (a canonical block), length-delimited so concatenations cannot collide. */
  addString(text: string): void {
    this.addInt(text.length);
    for (let i = 0; i < text.length; i++) this.addInt(text.charCodeAt(i));
  }

  /** The state so far as a compact key. */
  digest(): string {
    return (this.lane1 >>> 0).toString(36) + '.' + (this.lane2 >>> 0).toString(36);
  }
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Generates provider-looking ids (`chatcmpl-…`, `msg_01…`) from a seeded stream. */
export class IdGenerator {
  private readonly random: () => number;

  constructor(seed: number) {
    // Ids need to be unique across restarts more than reproducible, so the clock joins the seed.
    this.random = createRandom(hashInts(seed, Date.now() & 0x7fffffff, process.pid));
  }

  /** `prefix` followed by `length` base62 characters. */
  next(prefix: string, length: number): string {
    let out = prefix;
    for (let i = 0; i < length; i++) out += ID_ALPHABET[(this.random() * 62) | 0];
    return out;
  }

  /** `prefix` followed by `length` lowercase hex characters. */
  hex(prefix: string, length: number): string {
    let out = prefix;
    for (let i = 0; i < length; i++) out += ((this.random() * 16) | 0).toString(16);
    return out;
  }
}

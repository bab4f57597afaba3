import { encode, encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { PrefixHasher } from './deterministic-hash.js';

// Special tokens are read from the library's own chat framing so they can never drift from
// what `encodeChat(messages, 'gpt-4o')` produces: [im_start, role…, im_sep, content…, im_end].
const FRAME = encodeChat([{ role: 'user', content: '' }], 'gpt-4o');
/** o200k `<|im_start|>` token id. */
export const IM_START = FRAME[0]!;
/** o200k `<|im_sep|>` token id. */
export const IM_SEP = FRAME[2]!;
/** o200k `<|im_end|>` token id. */
export const IM_END = FRAME[3]!;

// User text may contain strings like "<|endoftext|>": the APIs count them as plain text.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
const CACHE_GENERATION_SIZE = 4096;
const EMPTY: readonly number[] = Object.freeze([]);

// Two-generation cache: O(1), bounded, and repeated prompts (the load-test case) stay hot.
let currentGeneration = new Map<string, readonly number[]>();
let previousGeneration = new Map<string, readonly number[]>();

/** o200k tokens of `text` (memoized; the returned array must not be mutated). */
export function encodeText(text: string): readonly number[] {
  if (text.length === 0) return EMPTY;
  let tokens = currentGeneration.get(text);
  if (tokens !== undefined) return tokens;
  tokens = previousGeneration.get(text);
  if (tokens === undefined) tokens = encode(text, PLAIN_TEXT);
  if (currentGeneration.size >= CACHE_GENERATION_SIZE) {
    previousGeneration = currentGeneration;
    currentGeneration = new Map();
  }
  currentGeneration.set(text, tokens);
  return tokens;
}

/** o200k token count of `text`. */
export function countText(text: string): number {
  return encodeText(text).length;
}

/** Drops memoized tokenizations (tests, `Simulator.reset`). */
export function clearTokenCache(): void {
  currentGeneration = new Map();
  previousGeneration = new Map();
}

/** A point in a prompt where a cache entry may end, with the prefix identity up to it. */
export interface PromptPoint {
  position: number;
  digest: string;
}

const CACHE_BLOCK = 128;

/**
 * Receives a prompt's tokens in order without materializing the array: counts them and records
 * the prefix digest at every 128-token boundary (OpenAI cache granularity) and at explicit marks.
 */
export class PromptTokenSink {
  length = 0;
  /** Digest at position 128·(i+1) for each i. */
  readonly blockDigests: string[] = [];
  /** Explicit cache breakpoints (GPT-5.6+ `prompt_cache_breakpoint`). */
  readonly breakpoints: PromptPoint[] = [];
  private readonly hasher = new PrefixHasher();

  /** Appends tokens. */
  push(tokens: readonly number[]): void {
    for (let i = 0; i < tokens.length; i++) {
      this.hasher.addInt(tokens[i]!);
      if (++this.length % CACHE_BLOCK === 0) this.blockDigests.push(this.hasher.digest());
    }
  }

  /** Appends one token. */
  pushOne(token: number): void {
    this.hasher.addInt(token);
    if (++this.length % CACHE_BLOCK === 0) this.blockDigests.push(this.hasher.digest());
  }

  /** Appends `count` placeholder tokens standing for non-text input (images, audio, files). */
  pushPlaceholder(identity: number, count: number): void {
    for (let i = 0; i < count; i++) this.pushOne((identity + i) & 0x3fffffff);
  }

  /** Marks a cache breakpoint at the current end. */
  markBreakpoint(): void {
    this.breakpoints.push({ position: this.length, digest: this.hasher.digest() });
  }

  /** Digest of the whole prompt so far (seeds the deterministic answer). */
  digest(): string {
    return this.hasher.digest();
  }

  /** Appends one chat-framed message exactly as `encodeChat` frames it (name replaces role). */
  openMessage(roleOrName: string): void {
    this.pushOne(IM_START);
    this.push(encodeText(roleOrName));
    this.pushOne(IM_SEP);
  }

  /** Closes a message opened by `openMessage`. */
  closeMessage(): void {
    this.pushOne(IM_END);
  }

  /** The assistant priming `encodeChat` appends after the last message. */
  primeAssistant(): void {
    this.openMessage('assistant');
  }
}

import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { createRandom, hashInts } from './deterministic-hash.js';

// Output is built from pieces that are each exactly one o200k token (" word", "Word", ",", "."),
// and o200k's pre-tokenizer splits at every such piece, so the reported completion token count
// equals what any tokenizer finds in the text - without encoding the output per request.
const CANDIDATE_WORDS = (
  'the of and to in is that for it as was with be on not by are this at from but have an they ' +
  'which or one you had all were we there can been has more if no will would so what about into ' +
  'than them only other new some could time these two may then do first any my now such like our ' +
  'over also me even most made after well way many must before back years through much where your ' +
  'down should because each just those people how too little state good very make world still own ' +
  'see work long get here between both life being under never day same another know while last us ' +
  'great old year off come since against go right used take three report order cost budget team ' +
  'model data plan value price system result answer request cache token month week service review'
).split(' ');

function isSingleToken(text: string): boolean {
  return encode(text).length === 1;
}

const capitalize = (word: string) => word[0]!.toUpperCase() + word.slice(1);

// Checked once at load: a word is kept only if all three spellings used below are one token.
const WORDS = CANDIDATE_WORDS.filter(
  (w) => isSingleToken(' ' + w) && isSingleToken(capitalize(w)) && isSingleToken(' ' + capitalize(w)),
);
const SPACED = WORDS.map((w) => ' ' + w);
const CAPITALIZED = WORDS.map(capitalize);
const SPACED_CAPITALIZED = WORDS.map((w) => ' ' + capitalize(w));

/**
 * Exactly `count` one-token pieces of plausible English, deterministic for `seed`.
 * When `finished` the last piece is a full stop (a natural end rather than a cut-off).
 */
export function generatePieces(seed: number, count: number, finished = true): string[] {
  const pieces: string[] = new Array(count);
  const random = createRandom(seed);
  let sentenceLeft = 0;
  // Two punctuation pieces in a row would merge into one token (",," or ",."), so never emit them.
  let afterPunctuation = true;
  for (let i = 0; i < count; i++) {
    if (i === count - 1 && finished && i > 0 && !afterPunctuation) {
      pieces[i] = '.';
      break;
    }
    if (sentenceLeft === 0) {
      const index = (random() * WORDS.length) | 0;
      pieces[i] = i === 0 ? CAPITALIZED[index]! : SPACED_CAPITALIZED[index]!;
      sentenceLeft = 5 + ((random() * 12) | 0);
      afterPunctuation = false;
      continue;
    }
    sentenceLeft--;
    if (sentenceLeft === 0 && !afterPunctuation) {
      pieces[i] = '.';
      afterPunctuation = true;
    } else if (sentenceLeft > 2 && !afterPunctuation && random() < 0.07) {
      pieces[i] = ',';
      afterPunctuation = true;
    } else {
      pieces[i] = SPACED[(random() * WORDS.length) | 0]!;
      afterPunctuation = false;
    }
  }
  return pieces;
}

/** Joins pieces `tokensPerChunk` at a time into stream deltas. */
export function chunkPieces(pieces: readonly string[], tokensPerChunk: number): string[] {
  if (tokensPerChunk <= 1) return pieces as string[];
  const chunks: string[] = [];
  for (let i = 0; i < pieces.length; i += tokensPerChunk) chunks.push(pieces.slice(i, i + tokensPerChunk).join(''));
  return chunks;
}

/** A deterministic answer length in [min, max] for a prompt identity. */
export function pickLength(seed: number, promptHash: number, min: number, max: number): number {
  if (max <= min) return min;
  return min + (hashInts(seed, promptHash, 0x51ed) % (max - min + 1));
}

/** Deterministic JSON arguments for a tool's JSON schema (strings, numbers, booleans, enums, nesting). */
export function generateArguments(seed: number, schema: unknown): string {
  const random = createRandom(seed);
  return JSON.stringify(valueFor(schema, random, 0));
}

function valueFor(schema: unknown, random: () => number, depth: number): unknown {
  const s = (schema ?? {}) as Record<string, unknown>;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[(random() * s.enum.length) | 0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'integer':
      return (random() * 100) | 0;
    case 'number':
      return Math.round(random() * 10000) / 100;
    case 'boolean':
      return random() < 0.5;
    case 'null':
      return null;
    case 'array':
      return depth > 3 ? [] : [valueFor(s.items, random, depth + 1)];
    case 'string':
      return WORDS[(random() * WORDS.length) | 0];
    default: {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      if (depth > 3) return out;
      for (const [key, child] of Object.entries(properties)) out[key] = valueFor(child, random, depth + 1);
      return out;
    }
  }
}

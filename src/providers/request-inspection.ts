import type { PromptFootprint } from '../core/usage-event.js';
import { asObject } from './json-fields.js';

/** What the gateway learns from a parsed request body before forwarding it (no tokenizer: cheap). */
export interface RequestInspection {
  /** Requested model, null when absent. */
  model: string | null;
  stream: boolean;
  /** The caller will get usage without help: always, except an OpenAI chat stream without include_usage. */
  clientWantsUsage: boolean;
  /** Completions asked for (OpenAI chat `n`), 1 elsewhere. */
  choices: number;
  /** Upper bound of billed output tokens (cap x choices), 0 for embeddings, null when uncapped. */
  maxOutputTokens: number | null;
  footprint: PromptFootprint;
  /** End-user id the caller sent (`user`, `safety_identifier`, Anthropic `metadata.user_id`). */
  user: string | null;
  /** String-valued request metadata, null when absent or empty. */
  metadata: Record<string, string> | null;
}

/**
 * Characters counted for an image, audio, file or document part: a flat guess (~1,000 tokens), since their
 * token cost depends on size and detail that are unknown without decoding them.
 */
export const NON_TEXT_PART_CHARS = 4000;

/**
 * Mutable character counts per prompt part, turned into token estimates by `toFootprint`. Requests are inspected
 * from their bytes (providers/inspect-body-bytes.ts), so a non-ASCII character counts as its UTF-8 bytes.
 */
export interface FootprintChars {
  system: number;
  tools: number;
  history: number;
  lastUser: number;
}

/** Zeroed character counts. */
export function emptyFootprintChars(): FootprintChars {
  return { system: 0, tools: 0, history: 0, lastUser: 0 };
}

/**
 * Chars / 4 rounded up: the rule of `estimateTokensFast` in core/token-estimate.ts, restated here so that
 * importing the adapters does not load the o200k tokenizer (~250 ms and ~60 MB at start-up).
 */
export function charsToTokens(chars: number): number {
  return chars > 0 ? Math.ceil(chars / 4) : 0;
}

/** Character counts to token estimates (chars / 4). */
export function toFootprint(chars: FootprintChars): PromptFootprint {
  return {
    system: charsToTokens(chars.system),
    tools: charsToTokens(chars.tools),
    history: charsToTokens(chars.history),
    lastUser: charsToTokens(chars.lastUser),
  };
}

/**
 * Characters of message content in any of the providers' shapes: a string, or an array of parts (text,
 * input_text, output_text, refusal, thinking, tool_use input, tool_result content, images and files).
 */
export function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const item of content) {
    if (typeof item === 'string') {
      chars += item.length;
      continue;
    }
    const part = asObject(item);
    if (!part) continue;
    if (typeof part.text === 'string') chars += part.text.length;
    else if (typeof part.thinking === 'string') chars += part.thinking.length;
    else if (typeof part.refusal === 'string') chars += part.refusal.length;
    else if (part.type === 'tool_use' || part.type === 'server_tool_use') chars += jsonChars(part.input);
    else if (part.type === 'tool_result') chars += contentChars(part.content);
    else if (typeof part.type === 'string' && /image|audio|file|document/.test(part.type)) chars += NON_TEXT_PART_CHARS;
  }
  return chars;
}

/** Length of a value's JSON text (tool schemas, tool inputs), 0 when absent. */
export function jsonChars(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'string') return value.length;
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}

/** String-valued entries of a metadata object; null when there are none. */
export function stringRecord(value: unknown): Record<string, string> | null {
  const object = asObject(value);
  if (!object) return null;
  let out: Record<string, string> | null = null;
  for (const key in object) {
    const entry = object[key];
    if (typeof entry === 'string') (out ??= {})[key] = entry;
  }
  return out;
}

/** A positive integer field, else null. */
export function positiveInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

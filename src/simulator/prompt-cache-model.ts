import type { PromptPoint, PromptTokenSink } from './token-counter.js';

/*
 * Prompt-cache semantics of both providers, reduced to prefix identities (rolling digests) with
 * expiry times. Nothing here stores prompt text.
 *
 * OpenAI before GPT-5.6 (automatic): prompts of >= 1024 tokens are cached at every 128-token
 *   boundary; a later request of the same model (+ prompt_cache_key) reads the longest boundary
 *   whose prefix matches exactly. Reads refresh the entry; there is no write fee, so writes are
 *   not reported.
 * OpenAI GPT-5.6+ : the same boundaries ("implicit" mode's automatic breakpoint) plus explicit
 *   `prompt_cache_breakpoint` parts (the last 3 in implicit mode, the last 4 in explicit mode;
 *   explicit mode without any breakpoint caches nothing). `cache_write_tokens` reports the tokens
 *   newly cached beyond the read prefix, so reads and writes are disjoint.
 * Anthropic: see `anthropicCacheUsage`.
 */

/** What a request read from and wrote to the prompt cache. */
export interface CacheOutcome {
  /** Prompt tokens served from cache. */
  read: number;
  /** Prompt tokens newly written (OpenAI GPT-5.6+ only; Anthropic uses the TTL split). */
  written: number;
}

interface Entry {
  expiresAt: number;
  ttlMs: number;
}

const SWEEP_EVERY = 4096;
const OPENAI_MIN_TOKENS = 1024;
const OPENAI_BLOCK = 128;

/** Prefix identities with expiry; a hit refreshes the entry's own TTL (free, as both providers do). */
export class PrefixCacheStore {
  private readonly entries = new Map<string, Entry>();
  private operations = 0;

  /** True when `key` is cached and unexpired at `now`; refreshes it on a hit. */
  hit(key: string, now: number): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return false;
    }
    entry.expiresAt = now + entry.ttlMs;
    return true;
  }

  /** Caches `key` for `ttlMs` (keeps a longer remaining lifetime if one exists). */
  put(key: string, now: number, ttlMs: number): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt > now + ttlMs) return;
    this.entries.set(key, { expiresAt: now + ttlMs, ttlMs: Math.max(ttlMs, entry?.ttlMs ?? 0) });
    if (++this.operations % SWEEP_EVERY === 0) this.sweep(now);
  }

  /** Number of live and not-yet-swept entries. */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

/** How an OpenAI request asks to be cached. */
export interface OpenAiCacheRequest {
  model: string;
  promptCacheKey: string | null;
  /** GPT-5.6+ `prompt_cache_options.mode`; null for earlier models. */
  mode: 'implicit' | 'explicit' | null;
}

/** True for GPT-5.6 and later (explicit breakpoints, cache-write reporting). */
export function isExplicitCacheModel(model: string): boolean {
  const match = /^gpt-(\d+)(?:\.(\d+))?/.exec(model);
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2] ?? 0);
  return major > 5 || (major === 5 && minor >= 6);
}

/** Applies OpenAI caching to a finished prompt: reads the longest cached point, stores the rest. */
export function openAiCacheUsage(
  store: PrefixCacheStore,
  prompt: PromptTokenSink,
  request: OpenAiCacheRequest,
  now: number,
  ttlMs: number,
): CacheOutcome {
  if (prompt.length < OPENAI_MIN_TOKENS) return { read: 0, written: 0 };
  const namespace = `oai|${request.model}|${request.promptCacheKey ?? ''}|`;
  const points: PromptPoint[] = [];
  if (request.mode !== 'explicit') {
    for (let i = OPENAI_MIN_TOKENS / OPENAI_BLOCK - 1; i < prompt.blockDigests.length; i++) {
      points.push({ position: (i + 1) * OPENAI_BLOCK, digest: prompt.blockDigests[i]! });
    }
  }
  if (request.mode !== null) {
    const explicit = prompt.breakpoints.filter((p) => p.position >= OPENAI_MIN_TOKENS);
    points.push(...explicit.slice(request.mode === 'explicit' ? -4 : -3));
    points.sort((a, b) => a.position - b.position);
  }
  if (points.length === 0) return { read: 0, written: 0 };
  let read = 0;
  for (let i = points.length - 1; i >= 0; i--) {
    const point = points[i]!;
    if (store.hit(namespace + point.position + '|' + point.digest, now)) {
      read = point.position;
      break;
    }
  }
  // Every boundary is (re)stored so shorter shared prefixes stay warm alongside the longest one.
  for (const point of points) store.put(namespace + point.position + '|' + point.digest, now, ttlMs);
  const longest = points[points.length - 1]!.position;
  return { read, written: request.mode !== null ? Math.max(0, longest - read) : 0 };
}

/** One block of an Anthropic prompt in cache order (tools → system → messages). */
export interface AnthropicSegment {
  tokens: number;
  /** Prefix digest through the end of this block. */
  digest: string;
  /** The block's `cache_control` TTL when it is a breakpoint. */
  breakpoint: '5m' | '1h' | null;
}

/** Anthropic cache counters as `usage` reports them. */
export interface AnthropicCacheOutcome {
  inputTokens: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

const LOOKBACK_BLOCKS = 20;

/**
 * Anthropic caching: each breakpoint's prefix (>= the model minimum) is looked up, also at the
 * ~20 block boundaries before it; the longest hit is read. Every breakpoint beyond the read is
 * written; the tokens between consecutive written breakpoints take the later breakpoint's TTL.
 * `inputTokens` is what remains after the last breakpoint (or after the read, if longer).
 */
export function anthropicCacheUsage(
  store: PrefixCacheStore,
  model: string,
  segments: readonly AnthropicSegment[],
  minTokens: number,
  now: number,
  ttlMs: Readonly<{ '5m': number; '1h': number }>,
): AnthropicCacheOutcome {
  const namespace = `ant|${model}|`;
  const ends: number[] = new Array(segments.length);
  let total = 0;
  for (let i = 0; i < segments.length; i++) ends[i] = total += segments[i]!.tokens;
  let read = 0;
  let hasBreakpoint = false;
  for (let b = segments.length - 1; b >= 0; b--) {
    if (segments[b]!.breakpoint === null) continue;
    hasBreakpoint = true;
    for (let j = b; j >= 0 && j > b - LOOKBACK_BLOCKS; j--) {
      if (ends[j]! <= read) break;
      if (ends[j]! >= minTokens && store.hit(namespace + segments[j]!.digest, now)) {
        read = ends[j]!;
        break;
      }
    }
  }
  const outcome: AnthropicCacheOutcome = { inputTokens: total - read, cacheRead: read, cacheWrite5m: 0, cacheWrite1h: 0 };
  if (!hasBreakpoint) return outcome;
  let cursor = read;
  for (let b = 0; b < segments.length; b++) {
    const ttl = segments[b]!.breakpoint;
    if (ttl === null || ends[b]! <= cursor || ends[b]! < minTokens) continue;
    store.put(namespace + segments[b]!.digest, now, ttlMs[ttl]);
    if (ttl === '1h') outcome.cacheWrite1h += ends[b]! - cursor;
    else outcome.cacheWrite5m += ends[b]! - cursor;
    cursor = ends[b]!;
  }
  outcome.inputTokens = total - cursor;
  return outcome;
}

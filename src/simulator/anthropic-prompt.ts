import { PrefixHasher } from './deterministic-hash.js';
import type { AnthropicSegment } from './prompt-cache-model.js';
import { countText } from './token-counter.js';
import { invalidRequest, type WireError } from './wire-errors.js';

/*
 * Anthropic prompt token accounting. Claude's tokenizer is not public, so the simulator uses o200k
 * with a fixed, documented framing (tests recompute it independently):
 *   tool definition      tokens(JSON.stringify(tool without cache_control))
 *   system (string)      tokens(system)
 *   system text block    tokens(text)
 *   message              3 (role framing, on its first block) + its blocks:
 *     string content     tokens(content)
 *     text               tokens(text)
 *     tool_use           tokens(name) + tokens(JSON.stringify(input))
 *     tool_result        tokens(content string) or the sum of its blocks
 *     thinking           tokens(thinking)
 *     image              1600; document: tokens(source.data) for text sources, else 1500
 *     anything else      tokens(JSON.stringify(block))
 * Blocks are the cache units: prefix order tools → system → messages (reference §2.2).
 */

/** Role framing tokens charged once per message. */
export const MESSAGE_OVERHEAD_TOKENS = 3;
const IMAGE_TOKENS = 1600;
const DOCUMENT_TOKENS = 1500;
const MAX_BREAKPOINTS = 4;

/** An Anthropic prompt cut into cache blocks. */
export interface AnthropicPrompt {
  segments: AnthropicSegment[];
  totalTokens: number;
  /** Identity of the whole prompt (seeds the deterministic answer). */
  digest: string;
}

function stripCacheControl(block: Record<string, unknown>): Record<string, unknown> {
  if (!('cache_control' in block)) return block;
  const { cache_control: _ignored, ...rest } = block;
  return rest;
}

/** Token count of one content block (see the table above). */
export function blockTokens(block: unknown): number {
  if (typeof block === 'string') return countText(block);
  if (block === null || typeof block !== 'object') return 0;
  const b = block as Record<string, any>;
  switch (b.type) {
    case 'text':
      return countText(String(b.text ?? ''));
    case 'tool_use':
    case 'server_tool_use':
      return countText(String(b.name ?? '')) + countText(JSON.stringify(b.input ?? {}));
    case 'tool_result':
      if (typeof b.content === 'string') return countText(b.content);
      return Array.isArray(b.content) ? b.content.reduce((sum: number, c: unknown) => sum + blockTokens(c), 0) : 0;
    case 'thinking':
      return countText(String(b.thinking ?? ''));
    case 'image':
      return IMAGE_TOKENS;
    case 'document':
      return b.source?.type === 'text' ? countText(String(b.source.data ?? '')) : DOCUMENT_TOKENS;
    default:
      return countText(JSON.stringify(stripCacheControl(b)));
  }
}

/** Reads a block's `cache_control` into a TTL, null when absent, or an error when malformed. */
function breakpointOf(cacheControl: unknown, where: string): '5m' | '1h' | null | WireError {
  if (cacheControl == null) return null;
  const cc = cacheControl as { type?: unknown; ttl?: unknown };
  if (cc.type !== 'ephemeral') return invalidRequest(`${where}.cache_control.type: Input should be 'ephemeral'`);
  if (cc.ttl === undefined || cc.ttl === '5m' || cc.ttl === '1h') return (cc.ttl as '5m' | '1h' | undefined) ?? '5m';
  return invalidRequest(`${where}.cache_control.ttl: Input should be '5m' or '1h'`);
}

/** Splits a Messages (or count_tokens) body into cache blocks, validating breakpoints. */
export function buildAnthropicPrompt(body: Record<string, any>): AnthropicPrompt | WireError {
  const hasher = new PrefixHasher();
  const segments: AnthropicSegment[] = [];
  let total = 0;
  // Callbacks below record the first problem here; the body is rejected after the walk.
  const errors: WireError[] = [];
  const add = (canonical: string, tokens: number, cacheControl: unknown, where: string) => {
    const breakpoint = breakpointOf(cacheControl, where);
    if (breakpoint !== null && typeof breakpoint === 'object') {
      errors.push(breakpoint);
      return;
    }
    hasher.addString(canonical);
    segments.push({ tokens, digest: hasher.digest(), breakpoint });
    total += tokens;
  };

  if (body.tools != null && !Array.isArray(body.tools)) return invalidRequest('tools: Input should be a valid list');
  (body.tools ?? []).forEach((tool: Record<string, unknown>, i: number) => {
    const canonical = JSON.stringify(stripCacheControl(tool ?? {}));
    add('tool:' + canonical, countText(canonical), tool?.cache_control, `tools.${i}`);
  });
  if (typeof body.system === 'string') {
    if (body.system.length > 0) add('system:' + body.system, countText(body.system), null, 'system');
  } else if (Array.isArray(body.system)) {
    body.system.forEach((block: Record<string, any>, i: number) => {
      if (block?.type !== 'text') {
        errors.push(invalidRequest(`system.${i}.type: Input should be 'text'`));
        return;
      }
      add('system:' + String(block.text ?? ''), countText(String(block.text ?? '')), block.cache_control, `system.${i}`);
    });
  } else if (body.system != null) {
    return invalidRequest('system: Input should be a valid string or a list of text blocks');
  }

  if (!Array.isArray(body.messages)) return invalidRequest('messages: Field required');
  body.messages.forEach((message: Record<string, any>, m: number) => {
    const role = message?.role;
    if (role !== 'user' && role !== 'assistant') {
      errors.push(invalidRequest(`messages.${m}.role: Input should be 'user' or 'assistant'`));
      return;
    }
    const content = message.content;
    if (typeof content === 'string') {
      add(`${role}:${content}`, MESSAGE_OVERHEAD_TOKENS + countText(content), null, `messages.${m}`);
    } else if (Array.isArray(content)) {
      if (content.length === 0) add(`${role}:`, MESSAGE_OVERHEAD_TOKENS, null, `messages.${m}`);
      content.forEach((block: Record<string, any>, k: number) => {
        const canonical = `${role}:${k}:${JSON.stringify(stripCacheControl(block ?? {}))}`;
        const tokens = (k === 0 ? MESSAGE_OVERHEAD_TOKENS : 0) + blockTokens(block);
        add(canonical, tokens, block?.cache_control, `messages.${m}.content.${k}`);
      });
    } else {
      errors.push(invalidRequest(`messages.${m}.content: Input should be a valid string or list`));
    }
  });
  if (errors.length > 0) return errors[0]!;

  // Top-level cache_control: automatic caching puts the breakpoint on the last cacheable block.
  if (body.cache_control != null && segments.length > 0) {
    const automatic = breakpointOf(body.cache_control, 'cache_control');
    if (automatic !== null && typeof automatic === 'object') return automatic;
    const last = segments[segments.length - 1]!;
    if (last.breakpoint === null) last.breakpoint = automatic;
  }
  let count = 0;
  let seenShort = false;
  for (const segment of segments) {
    if (segment.breakpoint === null) continue;
    count++;
    if (segment.breakpoint === '5m') seenShort = true;
    else if (seenShort) {
      return invalidRequest("cache_control: a ttl='1h' cache_control block must not come after a ttl='5m' block (longer TTLs must precede shorter ones).");
    }
  }
  if (count > MAX_BREAKPOINTS) return invalidRequest(`A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${count}.`);
  return { segments, totalTokens: total, digest: hasher.digest() };
}

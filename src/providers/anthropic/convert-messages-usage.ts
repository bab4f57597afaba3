import { emptyUsage, tokenCount } from '../../core/usage.js';
import { asObject, asString } from '../json-fields.js';
import type { ParsedUsage } from '../types.js';

/**
 * Usage of an Anthropic Messages response (also a batch result's `message`), null without usage.
 * `input_tokens` is already uncached. Cache writes split by TTL from `cache_creation`; when that object
 * is null all writes count as 5-minute (the default TTL), and any part of `cache_creation_input_tokens`
 * the breakdown does not cover goes to 5-minute too, so no written token goes unbilled.
 */
export function convertMessagesUsage(body: unknown): ParsedUsage | null {
  const message = asObject(body);
  const raw = asObject(message?.usage);
  if (!message || !raw) return null;
  return { usage: normalizeMessagesUsage(raw), raw, servedModel: asString(message.model), serviceTier: asString(raw.service_tier) };
}

/** Normalizes an Anthropic `usage` object (from a Message or merged from stream events). */
export function normalizeMessagesUsage(raw: Record<string, unknown>): ParsedUsage['usage'] {
  const usage = emptyUsage();
  usage.inputUncached = tokenCount(raw.input_tokens);
  usage.cacheRead = tokenCount(raw.cache_read_input_tokens);
  const written = tokenCount(raw.cache_creation_input_tokens);
  const byTtl = asObject(raw.cache_creation);
  const oneHour = tokenCount(byTtl?.ephemeral_1h_input_tokens);
  const fiveMinutes = tokenCount(byTtl?.ephemeral_5m_input_tokens);
  usage.cacheWrite1h = oneHour;
  usage.cacheWrite5m = Math.max(fiveMinutes, written - oneHour);
  usage.output = tokenCount(raw.output_tokens);
  usage.reasoning = Math.min(tokenCount(asObject(raw.output_tokens_details)?.thinking_tokens), usage.output);
  usage.webSearchRequests = tokenCount(asObject(raw.server_tool_use)?.web_search_requests);
  return usage;
}

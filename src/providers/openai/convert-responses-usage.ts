import { emptyUsage, tokenCount } from '../../core/usage.js';
import { asObject, asString } from '../json-fields.js';
import type { ParsedUsage } from '../types.js';
import { splitOpenAIPrompt } from './convert-chat-usage.js';

/**
 * Usage of a Responses API response object (the body of `POST /v1/responses`, or `response` of a
 * terminal stream event), null when it has no usage. Same bucket rules as chat: `input_tokens` includes
 * cached reads and writes; `output_tokens` includes reasoning.
 */
export function convertResponsesUsage(body: unknown): ParsedUsage | null {
  const response = asObject(body);
  const raw = asObject(response?.usage);
  if (!response || !raw) return null;
  const prompt = splitOpenAIPrompt(raw.input_tokens, raw.input_tokens_details);
  const usage = emptyUsage();
  usage.inputUncached = prompt.inputUncached;
  usage.cacheRead = prompt.cacheRead;
  usage.cacheWrite5m = prompt.cacheWrite;
  usage.output = tokenCount(raw.output_tokens);
  usage.reasoning = Math.min(tokenCount(asObject(raw.output_tokens_details)?.reasoning_tokens), usage.output);
  return { usage, raw, servedModel: asString(response.model), serviceTier: asString(response.service_tier) };
}

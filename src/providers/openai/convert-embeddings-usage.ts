import { emptyUsage, tokenCount } from '../../core/usage.js';
import { asObject, asString } from '../json-fields.js';
import type { ParsedUsage } from '../types.js';

/** Usage of an embeddings response: all `prompt_tokens` are uncached input; there is no output. */
export function convertEmbeddingsUsage(body: unknown): ParsedUsage | null {
  const response = asObject(body);
  const raw = asObject(response?.usage);
  if (!response || !raw) return null;
  const usage = emptyUsage();
  usage.inputUncached = tokenCount(raw.prompt_tokens ?? raw.total_tokens);
  return { usage, raw, servedModel: asString(response.model), serviceTier: null };
}

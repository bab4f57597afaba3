import { estimateTokens } from './token-count.js';
import { emptyUsage, type Usage } from '../core/usage.js';
import type { StreamResult } from './types.js';

/** Collects the human text of a request body (messages, system, instructions, input, tools) for estimates. */
export function collectPromptText(body: Record<string, unknown>): string {
  const parts: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 12) return;
    if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        // Skip enum-like keys that are not prompt text.
        if (key === 'role' || key === 'type' || key === 'model' || key === 'id' || key === 'cache_control') continue;
        visit(inner, depth + 1);
      }
    }
  };
  for (const key of ['system', 'instructions', 'messages', 'input', 'tools', 'prompt']) visit(body[key], 0);
  return parts.join('\n');
}

/**
 * Usage for a stream that ended without the provider's final usage (client disconnect, upstream
 * reset): the provider's partial counts where it sent them (Anthropic's message_start carries input
 * and cache counts), the tokenizer's count of the prompt and of the text generated so far otherwise.
 */
export function estimateStreamUsage(result: StreamResult, body: Record<string, unknown>): Usage {
  const known = result.parsed ?? result.partial ?? null;
  const usage = known ? { ...known.usage } : emptyUsage();
  const inputKnown = usage.inputUncached + usage.cacheRead + usage.cacheWrite5m + usage.cacheWrite1h > 0;
  if (!inputKnown) usage.inputUncached = estimateTokens(collectPromptText(body));
  usage.output = Math.max(usage.output, estimateTokens(result.outputText));
  return usage;
}

import { hashString } from './deterministic-hash.js';
import type { ForcedTool } from './output-plan.js';
import { isExplicitCacheModel, openAiCacheUsage, type CacheOutcome } from './prompt-cache-model.js';
import type { SimulatorContext, SimulatorRequest } from './simulator-context.js';
import type { PromptTokenSink } from './token-counter.js';
import { invalidRequest, type WireError } from './wire-errors.js';

const TIERS = new Set(['auto', 'default', 'flex', 'scale', 'priority', 'fast']);

/** The tier a response reports: `auto`/absent → `default`, `fast` → `priority` (reference §1.1). */
export function responseServiceTier(requested: unknown): string | WireError {
  if (requested == null || requested === 'auto' || requested === 'default') return 'default';
  if (typeof requested !== 'string' || !TIERS.has(requested)) {
    return invalidRequest(
      `Invalid value: '${String(requested)}'. Supported values are: 'auto', 'default', 'flex', 'scale', 'priority' and 'fast'.`,
      'service_tier',
      'invalid_value',
    );
  }
  return requested === 'fast' ? 'priority' : requested;
}

/** Reads an optional positive integer field; null when absent. */
export function optionalPositiveInt(body: Record<string, any>, field: string): number | null | WireError {
  const value = body[field];
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 1) {
    return invalidRequest(`Invalid '${field}': integer below minimum value. Expected a value >= 1, but got ${JSON.stringify(value)} instead.`, field, 'integer_below_min_value');
  }
  return value;
}

/** True when a handler helper returned an error instead of a value. */
export function isWireError(value: unknown): value is WireError {
  return value !== null && typeof value === 'object' && 'openAiType' in value;
}

/** Runs the OpenAI prompt-cache model for a finished prompt. */
export function applyOpenAiCache(ctx: SimulatorContext, req: SimulatorRequest, model: string, prompt: PromptTokenSink): CacheOutcome {
  const explicitModel = isExplicitCacheModel(model);
  const mode = explicitModel ? (req.body.prompt_cache_options?.mode === 'explicit' ? 'explicit' : 'implicit') : null;
  const key = typeof req.body.prompt_cache_key === 'string' ? req.body.prompt_cache_key : null;
  return openAiCacheUsage(ctx.promptCache, prompt, { model, promptCacheKey: key, mode }, req.now, ctx.options.cacheTtlMs);
}

/** `prompt_tokens_details` / `input_tokens_details`; `cache_write_tokens` only for GPT-5.6+. */
export function inputDetails(model: string, cache: CacheOutcome, withAudio: boolean): Record<string, number> {
  const details: Record<string, number> = { cached_tokens: cache.read };
  if (withAudio) details.audio_tokens = 0;
  if (isExplicitCacheModel(model)) details.cache_write_tokens = cache.written;
  return details;
}

/** A stable per-model `system_fingerprint`. */
export function systemFingerprint(model: string): string {
  return 'fp_' + hashString(model).toString(16).padStart(8, '0') + '7d';
}

/**
 * The tool a request forces, or null: a named function choice, or `required` (first tool).
 * Works for both Chat (`{type, function:{name}}`) and Responses (`{type, name}`) tool shapes.
 */
export function forcedTool(tools: unknown, toolChoice: unknown): ForcedTool | null {
  if (!Array.isArray(tools) || tools.length === 0 || toolChoice == null || toolChoice === 'auto' || toolChoice === 'none') return null;
  const describe = (tool: any): ForcedTool | null => {
    const fn = tool?.function ?? tool;
    return typeof fn?.name === 'string' ? { name: fn.name, schema: fn.parameters ?? {} } : null;
  };
  if (toolChoice === 'required') return describe(tools[0]);
  const name = (toolChoice as any).function?.name ?? (toolChoice as any).name;
  if (typeof name !== 'string') return null;
  return describe(tools.find((t: any) => (t?.function?.name ?? t?.name) === name));
}

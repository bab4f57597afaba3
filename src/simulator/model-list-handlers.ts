import { ANTHROPIC_MODELS, OPENAI_MODEL_IDS } from './model-catalog.js';
import type { HandlerResult, SimulatorContext, SimulatorRequest } from './simulator-context.js';

function ok(body: unknown): HandlerResult {
  return { kind: 'json', status: 200, body, inputTokens: 0, outputTokens: 0, chunks: 0 };
}

/** OpenAI `GET /v1/models` (list object) or `GET /v1/models/{id}`; any id is served, like a compatible server. */
export function handleOpenAiModels(_ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const created = 1_715_367_049;
  const entry = (id: string) => ({ id, object: 'model', created, owned_by: id.startsWith('text-') ? 'system' : 'openai' });
  if (req.pathId !== null) return ok(entry(req.pathId));
  return ok({ object: 'list', data: OPENAI_MODEL_IDS.map(entry) });
}

/** Anthropic `GET /v1/models` (paged list shape) or `GET /v1/models/{id}`. */
export function handleAnthropicModels(_ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entry = ([id, displayName]: readonly [string, string]) => ({ type: 'model', id, display_name: displayName, created_at: '2025-09-29T00:00:00Z' });
  if (req.pathId !== null) {
    const known = ANTHROPIC_MODELS.find(([id]) => id === req.pathId);
    return ok(entry(known ?? [req.pathId, req.pathId]));
  }
  const data = ANTHROPIC_MODELS.map(entry);
  return ok({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null });
}

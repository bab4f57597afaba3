import { buildAnthropicPrompt } from './anthropic-prompt.js';
import { renderMessageStream } from './anthropic-messages-stream.js';
import { hashInts, hashString } from './deterministic-hash.js';
import { servedModelName } from './model-catalog.js';
import { isWireError } from './openai-common.js';
import { answerSeed, planOutput, reasoningTokensFor, type ForcedTool } from './output-plan.js';
import { anthropicCacheUsage } from './prompt-cache-model.js';
import type { HandlerResult, SimulatorContext, SimulatorRequest } from './simulator-context.js';
import { anthropicCacheMinTokens } from './simulator-options.js';
import { generatePieces } from './text-generator.js';
import { invalidRequest, streamErrorEvent, type WireError } from './wire-errors.js';

const MIN_THINKING_BUDGET = 1024;

function fail(error: WireError): HandlerResult {
  return { kind: 'error', error };
}

/** The tool `tool_choice` forces (`{type:"tool",name}` or `{type:"any"}`), else null. */
function forcedAnthropicTool(tools: unknown, choice: unknown): ForcedTool | null {
  if (!Array.isArray(tools) || tools.length === 0 || choice == null) return null;
  const c = choice as { type?: unknown; name?: unknown };
  const tool = c.type === 'any' ? tools[0] : c.type === 'tool' ? tools.find((t: any) => t?.name === c.name) : undefined;
  return typeof tool?.name === 'string' ? { name: tool.name, schema: tool.input_schema ?? {} } : null;
}

/** Thinking tokens the answer spends: 0 when off, else a deterministic amount within the budget. */
function thinkingTokens(ctx: SimulatorContext, body: Record<string, any>, digest: string): number | WireError {
  const thinking = body.thinking;
  if (thinking == null || thinking.type === 'disabled') return 0;
  if (thinking.type === 'enabled') {
    const budget = thinking.budget_tokens;
    if (!Number.isInteger(budget) || budget < MIN_THINKING_BUDGET) {
      return invalidRequest(`thinking.enabled.budget_tokens: Input should be greater than or equal to ${MIN_THINKING_BUDGET}`);
    }
    if (budget >= body.max_tokens) return invalidRequest('`max_tokens` must be greater than `thinking.budget_tokens`.');
    return Math.min(budget, reasoningTokensFor('medium', ctx.options, digest, 0));
  }
  if (thinking.type === 'adaptive') return reasoningTokensFor(body.output_config?.effort ?? 'medium', ctx.options, digest, 0);
  return invalidRequest("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'");
}

/** `POST /v1/messages`: JSON or the exact SSE event sequence, with Anthropic prompt-cache accounting. */
export function handleMessages(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const body = req.body;
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) return fail(invalidRequest('model: Field required'));
  if (body.max_tokens == null) return fail(invalidRequest('max_tokens: Field required'));
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 0) return fail(invalidRequest('max_tokens: Input should be a valid integer greater than or equal to 0'));
  if (Array.isArray(body.messages) && body.messages.length === 0) return fail(invalidRequest('messages: at least one message is required'));
  const prompt = buildAnthropicPrompt(body);
  if (isWireError(prompt)) return fail(prompt);
  const thinking = thinkingTokens(ctx, body, prompt.digest);
  if (isWireError(thinking)) return fail(thinking);

  const minTokens = anthropicCacheMinTokens(ctx.options, model);
  const cache = anthropicCacheUsage(ctx.promptCache, model, prompt.segments, minTokens, req.now, ctx.options.anthropicCacheTtlMs);
  const tool = forcedAnthropicTool(body.tools, body.tool_choice);
  const plan = planOutput(ctx.options, {
    promptDigest: prompt.digest,
    index: 0,
    cap: body.max_tokens,
    reasoning: thinking,
    forcedLength: req.outputTokensOverride,
    tool,
  });
  const content: Record<string, unknown>[] = [];
  if (plan.reasoningTokens > 0) {
    const thoughts = generatePieces(hashInts(answerSeed(ctx.options, prompt.digest, 0), 0x7417), plan.reasoningTokens, true).join('');
    content.push({ type: 'thinking', thinking: thoughts, signature: signatureFor(thoughts) });
  }
  if (plan.tool !== null) {
    content.push({ type: 'tool_use', id: ctx.ids.next('toolu_01', 22), name: plan.tool.name, input: JSON.parse(plan.tool.arguments) });
  } else if (plan.pieces.length > 0) {
    content.push({ type: 'text', text: plan.text });
  }
  const usage: Record<string, unknown> = {
    input_tokens: cache.inputTokens,
    cache_creation_input_tokens: cache.cacheWrite5m + cache.cacheWrite1h,
    cache_read_input_tokens: cache.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: cache.cacheWrite5m, ephemeral_1h_input_tokens: cache.cacheWrite1h },
    output_tokens: plan.outputTokens,
    service_tier: 'standard',
  };
  if (plan.reasoningTokens > 0) usage.output_tokens_details = { thinking_tokens: plan.reasoningTokens };
  const message = {
    id: ctx.ids.next('msg_01', 22),
    type: 'message',
    role: 'assistant',
    model: servedModelName(model),
    content,
    stop_reason: plan.tool !== null ? 'tool_use' : plan.truncated ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    stop_details: null,
    container: null,
    usage,
  };
  if (body.stream === true) {
    const events = renderMessageStream(message, plan, ctx.options.tokensPerChunk);
    return { kind: 'sse', events, errorEvent: streamErrorEvent('messages'), inputTokens: prompt.totalTokens, outputTokens: plan.outputTokens };
  }
  const chunks = Math.max(1, Math.ceil((plan.pieces.length + plan.reasoningTokens) / ctx.options.tokensPerChunk));
  return { kind: 'json', status: 200, body: message, inputTokens: prompt.totalTokens, outputTokens: plan.outputTokens, chunks };
}

/** `POST /v1/messages/count_tokens`: `{input_tokens}` for the body (no `max_tokens` needed). */
export function handleCountTokens(_ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  if (typeof req.body.model !== 'string' || req.body.model.length === 0) return fail(invalidRequest('model: Field required'));
  const prompt = buildAnthropicPrompt(req.body);
  if (isWireError(prompt)) return fail(prompt);
  return { kind: 'json', status: 200, body: { input_tokens: prompt.totalTokens }, inputTokens: 0, outputTokens: 0, chunks: 0 };
}

/** A stand-in thinking signature (opaque base64, stable for the same thinking text). */
function signatureFor(thinking: string): string {
  const words = [hashString(thinking), hashString(thinking, 1), hashString(thinking, 2), hashString(thinking, 3)];
  return Buffer.from(new Uint32Array(words).buffer).toString('base64').repeat(4);
}

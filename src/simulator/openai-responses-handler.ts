import { isReasoningModel, servedModelName } from './model-catalog.js';
import { applyOpenAiCache, forcedTool, inputDetails, isWireError, optionalPositiveInt, responseServiceTier } from './openai-common.js';
import { encodeResponsesPrompt, responsesInputToMessages, type PromptMessage } from './openai-prompt.js';
import { planOutput, reasoningTokensFor } from './output-plan.js';
import { renderResponseStream } from './openai-responses-stream.js';
import type { HandlerResult, SimulatorContext, SimulatorRequest } from './simulator-context.js';
import { invalidRequest, streamErrorEvent, type WireError } from './wire-errors.js';

const MIN_OUTPUT_TOKENS = 16;

function fail(error: WireError): HandlerResult {
  return { kind: 'error', error };
}

/** The stored conversation a `previous_response_id` points at, or an error when unknown. */
function historyOf(ctx: SimulatorContext, body: Record<string, any>): ReadonlyArray<PromptMessage> | WireError {
  const previous = body.previous_response_id;
  if (previous == null) return [];
  const stored = typeof previous === 'string' ? ctx.storedResponses.get(previous) : undefined;
  if (stored === undefined) {
    return { status: 400, message: `Previous response with id '${String(previous)}' not found.`, openAiType: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found' };
  }
  return stored.conversation;
}

/** `POST /v1/responses`: JSON or named SSE events with sequence numbers; stored for `previous_response_id`. */
export function handleResponses(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const body = req.body;
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) return fail(invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter'));
  if (body.input == null && body.previous_response_id == null) {
    return fail(invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter'));
  }
  const tier = responseServiceTier(body.service_tier);
  if (isWireError(tier)) return fail(tier);
  const cap = optionalPositiveInt(body, 'max_output_tokens');
  if (isWireError(cap)) return fail(cap);
  if (cap !== null && cap < MIN_OUTPUT_TOKENS) {
    return fail(invalidRequest(`Invalid 'max_output_tokens': integer below minimum value. Expected a value >= ${MIN_OUTPUT_TOKENS}, but got ${cap} instead.`, 'max_output_tokens', 'integer_below_min_value'));
  }
  const history = historyOf(ctx, body);
  if (isWireError(history)) return fail(history);

  const prompt = encodeResponsesPrompt(body, history);
  const cache = applyOpenAiCache(ctx, req, model, prompt);
  const digest = prompt.digest();
  const reasoningModel = isReasoningModel(model);
  const effort = body.reasoning?.effort ?? 'medium';
  const reasoning = reasoningModel ? reasoningTokensFor(effort, ctx.options, digest, 0) : 0;
  const tool = forcedTool(body.tools, body.tool_choice);
  const plan = planOutput(ctx.options, { promptDigest: digest, index: 0, cap, reasoning, forcedLength: req.outputTokensOverride, tool });

  const id = ctx.ids.hex('resp_', 48);
  const output: Record<string, unknown>[] = [];
  if (reasoningModel) output.push({ id: ctx.ids.hex('rs_', 48), type: 'reasoning', summary: [] });
  if (plan.tool !== null) {
    output.push({ id: ctx.ids.hex('fc_', 48), type: 'function_call', status: 'completed', arguments: plan.tool.arguments, call_id: ctx.ids.next('call_', 24), name: plan.tool.name });
  } else if (plan.pieces.length > 0 || !plan.truncated) {
    const status = plan.truncated ? 'incomplete' : 'completed';
    output.push({ id: ctx.ids.hex('msg_', 48), type: 'message', status, content: [{ type: 'output_text', annotations: [], logprobs: [], text: plan.text }], role: 'assistant' });
  }
  const usage = {
    input_tokens: prompt.length,
    input_tokens_details: inputDetails(model, cache, false),
    output_tokens: plan.outputTokens,
    output_tokens_details: { reasoning_tokens: plan.reasoningTokens },
    total_tokens: prompt.length + plan.outputTokens,
  };
  const response: Record<string, unknown> = {
    id,
    object: 'response',
    created_at: Math.floor(req.now / 1000),
    status: plan.truncated ? 'incomplete' : 'completed',
    background: false,
    error: null,
    incomplete_details: plan.truncated ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: cap,
    max_tool_calls: null,
    model: servedModelName(model),
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: { effort: reasoningModel ? effort : null, summary: null },
    safety_identifier: body.safety_identifier ?? null,
    service_tier: tier,
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' }, verbosity: 'medium' },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_logprobs: 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage,
    user: null,
    metadata: body.metadata ?? {},
  };
  if (body.store !== false) {
    const answer = plan.tool !== null ? `${plan.tool.name}(${plan.tool.arguments})` : plan.text;
    const conversation = [...history, ...responsesInputToMessages(body.input), { role: 'assistant', content: answer }];
    ctx.storedResponses.set(id, { response, conversation });
  }
  if (body.stream === true) {
    const events = renderResponseStream(response, plan, ctx.options.tokensPerChunk);
    const errorEvent = streamErrorEvent('responses', Math.max(1, events.length >> 1));
    return { kind: 'sse', events, errorEvent, inputTokens: prompt.length, outputTokens: plan.outputTokens };
  }
  const chunks = Math.max(1, Math.ceil(plan.pieces.length / ctx.options.tokensPerChunk));
  return { kind: 'json', status: 200, body: response, inputTokens: prompt.length, outputTokens: plan.outputTokens, chunks };
}

/** `POST /v1/responses/input_tokens`: `{object:"response.input_tokens", input_tokens}`. */
export function handleResponsesInputTokens(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const history = historyOf(ctx, req.body);
  if (isWireError(history)) return fail(history);
  const prompt = encodeResponsesPrompt(req.body, history);
  const body = { object: 'response.input_tokens', input_tokens: prompt.length };
  return { kind: 'json', status: 200, body, inputTokens: 0, outputTokens: 0, chunks: 0 };
}

/** `GET /v1/responses/{id}`: a stored response, or 404. */
export function handleGetResponse(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const stored = req.pathId === null ? undefined : ctx.storedResponses.get(req.pathId);
  if (stored === undefined) {
    return fail({ status: 404, message: `No response found with id '${req.pathId}'.`, openAiType: 'invalid_request_error', param: null, code: null });
  }
  return { kind: 'json', status: 200, body: stored.response, inputTokens: 0, outputTokens: 0, chunks: 0 };
}

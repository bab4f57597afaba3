import { isReasoningModel, servedModelName } from './model-catalog.js';
import {
  applyOpenAiCache,
  forcedTool,
  inputDetails,
  isWireError,
  optionalPositiveInt,
  responseServiceTier,
  systemFingerprint,
} from './openai-common.js';
import { encodeChatPrompt } from './openai-prompt.js';
import { planOutput, reasoningTokensFor, type OutputPlan } from './output-plan.js';
import type { HandlerResult, SimulatorContext, SimulatorRequest } from './simulator-context.js';
import { SSE_DONE, sseData } from './sse-writer.js';
import { chunkPieces } from './text-generator.js';
import { invalidRequest, streamErrorEvent } from './wire-errors.js';

/** `POST /v1/chat/completions`: JSON or SSE chunks, `n`, caps, tiers, reasoning, forced tool calls. */
export function handleChatCompletions(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const body = req.body;
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) return fail(invalidRequest('you must provide a model parameter', null, null));
  if (!Array.isArray(body.messages)) return fail(invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter'));
  if (body.messages.length === 0) {
    return fail(invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array'));
  }
  const stream = body.stream === true;
  if (!stream && body.stream_options != null) {
    return fail(invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', null));
  }
  const reasoningModel = isReasoningModel(model);
  if (reasoningModel && body.max_tokens != null) {
    return fail(
      invalidRequest("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 'max_tokens', 'unsupported_parameter'),
    );
  }
  const tier = responseServiceTier(body.service_tier);
  if (isWireError(tier)) return fail(tier);
  const cap = optionalPositiveInt(body, body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens');
  if (isWireError(cap)) return fail(cap);
  const n = body.n ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 128) return fail(invalidRequest(`Invalid 'n': expected an integer between 1 and 128, got ${JSON.stringify(n)}.`, 'n', 'invalid_value'));

  const prompt = encodeChatPrompt(body);
  const cache = applyOpenAiCache(ctx, req, model, prompt);
  const digest = prompt.digest();
  const tool = forcedTool(body.tools, body.tool_choice);
  const plans: OutputPlan[] = [];
  for (let i = 0; i < n; i++) {
    const reasoning = reasoningModel ? reasoningTokensFor(body.reasoning_effort, ctx.options, digest, i) : 0;
    plans.push(planOutput(ctx.options, { promptDigest: digest, index: i, cap, reasoning, forcedLength: req.outputTokensOverride, tool }));
  }
  const completion = plans.reduce((sum, p) => sum + p.outputTokens, 0);
  const usage = {
    prompt_tokens: prompt.length,
    completion_tokens: completion,
    total_tokens: prompt.length + completion,
    prompt_tokens_details: inputDetails(model, cache, true),
    completion_tokens_details: {
      reasoning_tokens: plans.reduce((sum, p) => sum + p.reasoningTokens, 0),
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
  const meta: ChatMeta = {
    id: ctx.ids.next('chatcmpl-', 29),
    created: Math.floor(req.now / 1000),
    model: servedModelName(model),
    tier,
    fingerprint: systemFingerprint(model),
    namedTool: tool !== null && body.tool_choice !== 'required',
  };
  if (stream) {
    const includeUsage = body.stream_options?.include_usage === true;
    const obfuscate = body.stream_options?.include_obfuscation !== false;
    const events = streamEvents(meta, plans, usage, includeUsage, obfuscate, ctx.options.tokensPerChunk, ctx);
    return { kind: 'sse', events, errorEvent: streamErrorEvent('chat'), inputTokens: prompt.length, outputTokens: completion };
  }
  const choices = plans.map((plan, index) => ({
    index,
    message: messageOf(plan, ctx),
    logprobs: null,
    finish_reason: finishReason(plan, meta.namedTool),
  }));
  const json = {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices,
    usage,
    service_tier: tier,
    system_fingerprint: meta.fingerprint,
  };
  const chunks = Math.max(1, Math.ceil(Math.max(...plans.map((p) => p.pieces.length)) / ctx.options.tokensPerChunk));
  return { kind: 'json', status: 200, body: json, inputTokens: prompt.length, outputTokens: completion, chunks };
}

interface ChatMeta {
  id: string;
  created: number;
  model: string;
  tier: string;
  fingerprint: string;
  /** A named tool_choice answers `finish_reason: "stop"` (the real API's behaviour), `required` answers `tool_calls`. */
  namedTool: boolean;
}

function fail(error: ReturnType<typeof invalidRequest>): HandlerResult {
  return { kind: 'error', error };
}

function finishReason(plan: OutputPlan, namedTool: boolean): string {
  if (plan.tool !== null) return namedTool ? 'stop' : 'tool_calls';
  return plan.truncated ? 'length' : 'stop';
}

function messageOf(plan: OutputPlan, ctx: SimulatorContext): Record<string, unknown> {
  if (plan.tool === null) return { role: 'assistant', content: plan.text, refusal: null, annotations: [] };
  const call = { id: ctx.ids.next('call_', 24), type: 'function', function: { name: plan.tool.name, arguments: plan.tool.arguments } };
  return { role: 'assistant', content: null, tool_calls: [call], refusal: null, annotations: [] };
}

const OBFUSCATION = 'q8Zr3XkPv0LmT2a';

function streamEvents(
  meta: ChatMeta,
  plans: OutputPlan[],
  usage: Record<string, unknown>,
  includeUsage: boolean,
  obfuscate: boolean,
  tokensPerChunk: number,
  ctx: SimulatorContext,
): string[] {
  // Chunks share everything but `choices`; building the frame once keeps per-chunk cost to a concat.
  const head = `{"id":"${meta.id}","object":"chat.completion.chunk","created":${meta.created},"model":${JSON.stringify(meta.model)},"service_tier":"${meta.tier}","system_fingerprint":"${meta.fingerprint}","choices":[`;
  const tail = includeUsage ? '],"usage":null' : ']';
  let counter = 0;
  const chunk = (choice: string) =>
    sseData(head + choice + tail + (obfuscate ? `,"obfuscation":"${OBFUSCATION.slice(0, 3 + (counter++ % 12))}"}` : '}'));
  const delta = (index: number, deltaJson: string, finish: string | null) =>
    chunk(`{"index":${index},"delta":${deltaJson},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}`);

  const events: string[] = [];
  const streams = plans.map((plan, index) => {
    if (plan.tool !== null) {
      const id = ctx.ids.next('call_', 24);
      const first = `{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"${id}","type":"function","function":{"name":${JSON.stringify(plan.tool.name)},"arguments":""}}],"refusal":null}`;
      const pieces = splitArguments(plan.tool.arguments, tokensPerChunk * 4);
      return [delta(index, first, null), ...pieces.map((p) => delta(index, `{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(p)}}}]}`, null))];
    }
    const first = delta(index, '{"role":"assistant","content":"","refusal":null}', null);
    return [first, ...chunkPieces(plan.pieces, tokensPerChunk).map((text) => delta(index, `{"content":${JSON.stringify(text)}}`, null))];
  });
  // Choices are interleaved as the real API interleaves them.
  const longest = Math.max(...streams.map((s) => s.length));
  for (let i = 0; i < longest; i++) for (const s of streams) if (i < s.length) events.push(s[i]!);
  plans.forEach((plan, index) => events.push(delta(index, '{}', finishReason(plan, meta.namedTool))));
  if (includeUsage) {
    events.push(sseData(head + '],"usage":' + JSON.stringify(usage) + (obfuscate ? `,"obfuscation":"${OBFUSCATION.slice(0, 5)}"}` : '}')));
  }
  events.push(SSE_DONE);
  return events;
}

function splitArguments(args: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < args.length; i += size) parts.push(args.slice(i, i + size));
  return parts.length > 0 ? parts : [''];
}

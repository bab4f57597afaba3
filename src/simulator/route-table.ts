import type { IncomingHttpHeaders } from 'node:http';
import { handleCountTokens, handleMessages } from './anthropic-messages-handler.js';
import { handleAnthropicModels, handleOpenAiModels } from './model-list-handlers.js';
import { handleChatCompletions } from './openai-chat-handler.js';
import { handleEmbeddings } from './openai-embeddings-handler.js';
import { handleGetResponse, handleResponses, handleResponsesInputTokens } from './openai-responses-handler.js';
import type { HandlerResult, SimulatorContext, SimulatorRequest } from './simulator-context.js';
import type { WireProvider } from './wire-errors.js';

/** A request handler: pure with respect to the socket (the server writes its result). */
export type Handler = (ctx: SimulatorContext, req: SimulatorRequest) => HandlerResult;

/** One endpoint. */
export interface Route {
  /** Name used in stats (`openai.chat`, `anthropic.messages`, …). */
  name: string;
  provider: WireProvider;
  method: 'GET' | 'POST';
  handler: Handler;
  /** Configured fault rates apply (generation endpoints); forced faults apply everywhere. */
  drawsFaults: boolean;
}

const route = (name: string, provider: WireProvider, method: 'GET' | 'POST', handler: Handler, drawsFaults = false): Route => ({
  name,
  provider,
  method,
  handler,
  drawsFaults,
});

const EXACT: ReadonlyMap<string, Route> = new Map([
  ['POST /v1/chat/completions', route('openai.chat', 'openai', 'POST', handleChatCompletions, true)],
  ['POST /v1/responses', route('openai.responses', 'openai', 'POST', handleResponses, true)],
  ['POST /v1/responses/input_tokens', route('openai.responses.input_tokens', 'openai', 'POST', handleResponsesInputTokens)],
  ['POST /v1/embeddings', route('openai.embeddings', 'openai', 'POST', handleEmbeddings, true)],
  ['GET /v1/models', route('openai.models', 'openai', 'GET', handleOpenAiModels)],
  ['POST /v1/messages', route('anthropic.messages', 'anthropic', 'POST', handleMessages, true)],
  ['POST /v1/messages/count_tokens', route('anthropic.count_tokens', 'anthropic', 'POST', handleCountTokens)],
]);

const ANTHROPIC_MODELS_ROUTE = route('anthropic.models', 'anthropic', 'GET', handleAnthropicModels);
const OPENAI_MODEL_ROUTE = route('openai.models', 'openai', 'GET', handleOpenAiModels);
const GET_RESPONSE_ROUTE = route('openai.responses.get', 'openai', 'GET', handleGetResponse);

/** True when a request speaks Anthropic's dialect (its SDK always sends `anthropic-version`). */
export function looksAnthropic(path: string, headers: IncomingHttpHeaders): boolean {
  return headers['anthropic-version'] !== undefined || path.startsWith('/v1/messages');
}

/** Finds the route for a method and path (without query), with its path parameter. */
export function matchRoute(method: string, path: string, headers: IncomingHttpHeaders): { route: Route; pathId: string | null } | null {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const exact = EXACT.get(`${method} ${trimmed}`);
  if (exact !== undefined) {
    // `/v1/models` exists in both APIs: the Anthropic SDK identifies itself by its version header.
    if (exact.name === 'openai.models' && looksAnthropic(trimmed, headers)) return { route: ANTHROPIC_MODELS_ROUTE, pathId: null };
    return { route: exact, pathId: null };
  }
  if (method === 'GET' && trimmed.startsWith('/v1/models/')) {
    const id = decodeURIComponent(trimmed.slice('/v1/models/'.length));
    return { route: looksAnthropic(trimmed, headers) ? ANTHROPIC_MODELS_ROUTE : OPENAI_MODEL_ROUTE, pathId: id };
  }
  if (method === 'GET' && trimmed.startsWith('/v1/responses/')) {
    return { route: GET_RESPONSE_ROUTE, pathId: decodeURIComponent(trimmed.slice('/v1/responses/'.length)) };
  }
  return null;
}

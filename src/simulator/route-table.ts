import type { IncomingHttpHeaders } from 'node:http';
import {
  handleCancelMessageBatch,
  handleCreateMessageBatch,
  handleDeleteMessageBatch,
  handleGetMessageBatch,
  handleListMessageBatches,
  handleMessageBatchResults,
} from './anthropic-batch-handler.js';
import { handleCountTokens, handleMessages } from './anthropic-messages-handler.js';
import { handleAnthropicModels, handleOpenAiModels } from './model-list-handlers.js';
import {
  handleCancelBatch,
  handleCreateBatch,
  handleFileContent,
  handleGetBatch,
  handleGetFile,
  handleListBatches,
  handleUploadFile,
} from './openai-batch-handler.js';
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
  method: HttpMethod;
  handler: Handler;
  /** Configured fault rates apply (generation endpoints); forced faults apply everywhere. */
  drawsFaults: boolean;
  /** The body must be a JSON object (else 400); multipart uploads and reads take any body. */
  jsonBody: boolean;
}

type HttpMethod = 'GET' | 'POST' | 'DELETE';

const route = (name: string, provider: WireProvider, method: HttpMethod, handler: Handler, drawsFaults = false): Route => ({
  name,
  provider,
  method,
  handler,
  drawsFaults,
  jsonBody: method === 'POST',
});

const EXACT: ReadonlyMap<string, Route> = new Map([
  ['POST /v1/chat/completions', route('openai.chat', 'openai', 'POST', handleChatCompletions, true)],
  ['POST /v1/responses', route('openai.responses', 'openai', 'POST', handleResponses, true)],
  ['POST /v1/responses/input_tokens', route('openai.responses.input_tokens', 'openai', 'POST', handleResponsesInputTokens)],
  ['POST /v1/embeddings', route('openai.embeddings', 'openai', 'POST', handleEmbeddings, true)],
  ['GET /v1/models', route('openai.models', 'openai', 'GET', handleOpenAiModels)],
  ['POST /v1/messages', route('anthropic.messages', 'anthropic', 'POST', handleMessages, true)],
  ['POST /v1/messages/count_tokens', route('anthropic.count_tokens', 'anthropic', 'POST', handleCountTokens)],
  ['POST /v1/files', { ...route('openai.files.create', 'openai', 'POST', handleUploadFile), jsonBody: false }],
  ['POST /v1/batches', route('openai.batches.create', 'openai', 'POST', handleCreateBatch)],
  ['GET /v1/batches', route('openai.batches.list', 'openai', 'GET', handleListBatches)],
  ['POST /v1/messages/batches', route('anthropic.batches.create', 'anthropic', 'POST', handleCreateMessageBatch)],
  ['GET /v1/messages/batches', route('anthropic.batches.list', 'anthropic', 'GET', handleListMessageBatches)],
]);

// Routes with one path parameter: [method, prefix, suffix, route].
const PARAMETERIZED: ReadonlyArray<readonly [HttpMethod, string, string, Route]> = [
  ['GET', '/v1/responses/', '', route('openai.responses.get', 'openai', 'GET', handleGetResponse)],
  ['GET', '/v1/files/', '/content', route('openai.files.content', 'openai', 'GET', handleFileContent)],
  ['GET', '/v1/files/', '', route('openai.files.get', 'openai', 'GET', handleGetFile)],
  ['POST', '/v1/batches/', '/cancel', { ...route('openai.batches.cancel', 'openai', 'POST', handleCancelBatch), jsonBody: false }],
  ['GET', '/v1/batches/', '', route('openai.batches.get', 'openai', 'GET', handleGetBatch)],
  ['GET', '/v1/messages/batches/', '/results', route('anthropic.batches.results', 'anthropic', 'GET', handleMessageBatchResults)],
  ['POST', '/v1/messages/batches/', '/cancel', { ...route('anthropic.batches.cancel', 'anthropic', 'POST', handleCancelMessageBatch), jsonBody: false }],
  ['GET', '/v1/messages/batches/', '', route('anthropic.batches.get', 'anthropic', 'GET', handleGetMessageBatch)],
  ['DELETE', '/v1/messages/batches/', '', route('anthropic.batches.delete', 'anthropic', 'DELETE', handleDeleteMessageBatch)],
];

const ANTHROPIC_MODELS_ROUTE = route('anthropic.models', 'anthropic', 'GET', handleAnthropicModels);
const OPENAI_MODEL_ROUTE = route('openai.models', 'openai', 'GET', handleOpenAiModels);

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
  for (const [m, prefix, suffix, r] of PARAMETERIZED) {
    if (m !== method || !trimmed.startsWith(prefix) || !trimmed.endsWith(suffix)) continue;
    const id = trimmed.slice(prefix.length, trimmed.length - suffix.length);
    if (id.length > 0 && !id.includes('/')) return { route: r, pathId: decodeURIComponent(id) };
  }
  return null;
}

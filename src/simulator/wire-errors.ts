import type { FaultKind } from './simulator-options.js';

/** Which API's conventions (paths, error shape, headers) a request follows. */
export type WireProvider = 'openai' | 'anthropic';

/** An error the simulator answers with, before it is rendered in a provider's shape. */
export interface WireError {
  status: number;
  message: string;
  /** OpenAI `type`; Anthropic derives its type from the status unless `anthropicType` is set. */
  openAiType: string;
  param: string | null;
  code: string | null;
  anthropicType?: string;
}

/** Builds an OpenAI-style 400 `invalid_request_error`. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): WireError {
  return { status: 400, message, openAiType: 'invalid_request_error', param, code };
}

const ANTHROPIC_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** Anthropic `error.type` for an HTTP status (reference §2.5; other 4xx are invalid_request_error). */
export function anthropicErrorType(status: number): string {
  return ANTHROPIC_TYPES[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
}

/** The JSON body of `error` in the provider's exact shape. */
export function renderErrorBody(provider: WireProvider, error: WireError, requestId: string): string {
  if (provider === 'openai') {
    return JSON.stringify({ error: { message: error.message, type: error.openAiType, param: error.param, code: error.code } });
  }
  const type = error.anthropicType ?? anthropicErrorType(error.status);
  return JSON.stringify({ type: 'error', error: { type, message: error.message }, request_id: requestId });
}

/** The error an injected HTTP fault answers with, worded as each provider words it. */
export function faultError(provider: WireProvider, kind: FaultKind, model: string): WireError {
  switch (kind) {
    case '429':
      return provider === 'openai'
        ? {
            status: 429,
            message: `Rate limit reached for ${model} in organization org-simulator on requests per min (RPM): Limit 10000, Used 10000, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
            openAiType: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          }
        : {
            status: 429,
            message:
              'This request would exceed the rate limit for your organization of 10,000 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
            openAiType: 'requests',
            param: null,
            code: null,
          };
    case '503':
      return provider === 'openai'
        ? { status: 503, message: 'The engine is currently overloaded, please try again later', openAiType: 'server_error', param: null, code: null }
        : { status: 503, message: 'Service unavailable', openAiType: 'server_error', param: null, code: null };
    case '529':
      return { status: 529, message: 'Overloaded', openAiType: 'server_error', param: null, code: null };
    default:
      return provider === 'openai'
        ? {
            status: 500,
            message: 'The server had an error while processing your request. Sorry about that!',
            openAiType: 'server_error',
            param: null,
            code: null,
          }
        : { status: 500, message: 'Internal server error', openAiType: 'server_error', param: null, code: null };
  }
}

/** The SSE event a stream fails with after HTTP 200, in the provider's stream format. */
export function streamErrorEvent(format: 'chat' | 'responses' | 'messages', sequenceNumber = 0): string {
  if (format === 'messages') {
    return 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
  }
  if (format === 'responses') {
    return `event: error\ndata: {"type":"error","code":"server_error","message":"The server had an error while processing your request. Sorry about that!","param":null,"sequence_number":${sequenceNumber}}\n\n`;
  }
  return 'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n';
}

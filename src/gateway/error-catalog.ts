/**
 * Every error tokenmeter itself raises, with a stable greppable code, its HTTP status, and the
 * error type each API family's SDK expects for that status. Messages say what to do.
 */
export const GATEWAY_ERRORS = {
  invalid_json: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  missing_model: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  invalid_request: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  invalid_key: { status: 401, openai: 'invalid_request_error', anthropic: 'authentication_error' },
  route_not_found: { status: 404, openai: 'invalid_request_error', anthropic: 'not_found_error' },
  method_not_allowed: { status: 405, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  body_too_large: { status: 413, openai: 'invalid_request_error', anthropic: 'request_too_large' },
  input_too_large: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  budget_exceeded: { status: 429, openai: 'insufficient_quota', anthropic: 'rate_limit_error' },
  rate_limited: { status: 429, openai: 'rate_limit_error', anthropic: 'rate_limit_error' },
  task_cap_exceeded: { status: 429, openai: 'insufficient_quota', anthropic: 'rate_limit_error' },
  upstream_unreachable: { status: 502, openai: 'api_error', anthropic: 'api_error' },
  upstream_timeout: { status: 504, openai: 'api_error', anthropic: 'timeout_error' },
  gateway_error: { status: 500, openai: 'api_error', anthropic: 'api_error' },
  gateway_unavailable: { status: 503, openai: 'api_error', anthropic: 'overloaded_error' },
  provider_key_missing: { status: 500, openai: 'api_error', anthropic: 'api_error' },
  admin_unauthorized: { status: 401, openai: 'invalid_request_error', anthropic: 'authentication_error' },
} as const;

/** A stable tokenmeter error code. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** Which API's error shape the caller expects. */
export type ApiFamily = 'openai' | 'anthropic';

/** An error raised by the gateway itself, rendered in the caller's API shape. */
export class GatewayError extends Error {
  readonly status: number;
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = GATEWAY_ERRORS[code].status;
  }
}

/**
 * Renders an error body: OpenAI `{error:{message,type,param,code}}` or Anthropic
 * `{type:"error",error:{type,message}}` (plus `code`, which the Anthropic SDK ignores).
 */
export function renderErrorBody(family: ApiFamily, code: GatewayErrorCode, message: string, param: string | null = null, requestId?: string): string {
  const entry = GATEWAY_ERRORS[code];
  if (family === 'anthropic') {
    return JSON.stringify({ type: 'error', error: { type: entry.anthropic, message, code }, ...(requestId ? { request_id: requestId } : {}) });
  }
  return JSON.stringify({ error: { message, type: entry.openai, param, code } });
}

import type { IncomingHttpHeaders } from 'node:http';
import type { SimulatorOptions } from './simulator-options.js';
import type { WireError, WireProvider } from './wire-errors.js';

function unauthorized(message: string, code: string | null): WireError {
  return { status: 401, message, openAiType: 'invalid_request_error', param: null, code };
}

function bearer(headers: IncomingHttpHeaders): string | null {
  const value = headers.authorization;
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return match ? match[1]!.trim() : null;
}

function redact(key: string): string {
  return key.length <= 8 ? '***' : `${key.slice(0, 3)}***${key.slice(-4)}`;
}

/** The 401 a request earns in its provider's wording, or null when its key is acceptable. */
export function checkAuth(provider: WireProvider, headers: IncomingHttpHeaders, options: Readonly<SimulatorOptions>): WireError | null {
  if (!options.requireAuth) return null;
  if (provider === 'openai') {
    const key = bearer(headers);
    if (key === null || key.length === 0) {
      return unauthorized(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        null,
      );
    }
    if (options.apiKeys.length > 0 && !options.apiKeys.includes(key)) {
      return unauthorized(`Incorrect API key provided: ${redact(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_api_key');
    }
    return null;
  }
  const header = headers['x-api-key'];
  const key = (typeof header === 'string' && header.length > 0 ? header : null) ?? bearer(headers);
  if (key === null || key.length === 0) return unauthorized('x-api-key header is required', null);
  if (options.apiKeys.length > 0 && !options.apiKeys.includes(key)) return unauthorized('invalid x-api-key', null);
  return null;
}

/** Anthropic requires `anthropic-version`; a 400 when it is missing. */
export function checkAnthropicVersion(headers: IncomingHttpHeaders): WireError | null {
  const version = headers['anthropic-version'];
  if (typeof version === 'string' && version.length > 0) return null;
  return { status: 400, message: 'anthropic-version: header is required', openAiType: 'invalid_request_error', param: null, code: null };
}

/** The 400 for a body that is not a JSON object, in each provider's wording. */
export function malformedJson(provider: WireProvider): WireError {
  const message =
    provider === 'openai'
      ? "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
      : 'There was an issue with the format of your request: the body is not valid JSON.';
  return { status: 400, message, openAiType: 'invalid_request_error', param: null, code: null };
}

/** A non-negative integer header (`x-simulator-latency-ms`, …), or null when absent or invalid. */
export function numericHeader(headers: IncomingHttpHeaders, name: string): number | null {
  const value = headers[name];
  if (typeof value !== 'string' || value.length === 0) return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : null;
}

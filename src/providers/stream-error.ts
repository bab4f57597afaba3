import { asObject, asString } from './json-fields.js';

/** A mid-stream error payload normalized to `{type, message}` (OpenAI `{error:{...}}`, Anthropic, Responses). */
export function streamErrorFrom(payload: Record<string, unknown> | null, fallbackType = 'stream_error'): { type: string; message: string } {
  const nested = asObject(payload?.error);
  const source = nested ?? payload;
  const type = asString(source?.type) ?? asString(source?.code) ?? fallbackType;
  const message = asString(source?.message) ?? 'error event in stream';
  return { type: type === 'error' && nested === null ? (asString(source?.code) ?? fallbackType) : type, message };
}

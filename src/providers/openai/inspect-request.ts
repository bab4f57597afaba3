import { asObject, asString } from '../json-fields.js';
import {
  charsToTokens, contentChars, emptyFootprintChars, jsonChars, positiveInt, stringRecord, toFootprint,
  type FootprintChars, type RequestInspection,
} from '../request-inspection.js';

/** The OpenAI endpoints whose requests can be inspected. */
export type OpenAIEndpoint = 'chat.completions' | 'responses' | 'embeddings';

/** Inspects a parsed OpenAI request body for the given endpoint. */
export function inspectOpenAIRequest(endpoint: OpenAIEndpoint, body: unknown): RequestInspection {
  if (endpoint === 'responses') return inspectResponsesRequest(body);
  if (endpoint === 'embeddings') return inspectEmbeddingsRequest(body);
  return inspectChatRequest(body);
}

/** Inspects a Chat Completions body: system/developer messages, tools + response schema, history, last user message. */
export function inspectChatRequest(body: unknown): RequestInspection {
  const request = asObject(body) ?? {};
  const stream = request.stream === true;
  const chars = emptyFootprintChars();
  chars.tools = jsonChars(request.tools) + jsonChars(request.functions) + schemaChars(request.response_format);
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const lastUser = lastIndexOfRole(messages, 'user');
  messages.forEach((item, index) => {
    const message = asObject(item);
    if (!message) return;
    let size = contentChars(message.content);
    if (typeof message.refusal === 'string') size += message.refusal.length;
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls) size += jsonChars(asObject(asObject(call)?.function)?.arguments);
    }
    size += jsonChars(asObject(message.function_call)?.arguments);
    addByRole(chars, message.role, index === lastUser, size);
  });
  const cap = positiveInt(request.max_completion_tokens) ?? positiveInt(request.max_tokens);
  const choices = positiveInt(request.n) ?? 1;
  return {
    model: asString(request.model),
    stream,
    clientWantsUsage: !stream || asObject(request.stream_options)?.include_usage === true,
    choices,
    maxOutputTokens: cap === null ? null : cap * choices,
    footprint: toFootprint(chars),
    user: asString(request.user) ?? asString(request.safety_identifier),
    metadata: stringRecord(request.metadata),
  };
}

/** Inspects a Responses body: `instructions` is system; `input` is a string or a list of items. */
export function inspectResponsesRequest(body: unknown): RequestInspection {
  const request = asObject(body) ?? {};
  const chars = emptyFootprintChars();
  chars.system = contentChars(request.instructions);
  chars.tools = jsonChars(request.tools) + schemaChars(asObject(request.text)?.format);
  if (typeof request.input === 'string') chars.lastUser = request.input.length;
  else if (Array.isArray(request.input)) {
    const items = request.input;
    const lastUser = lastIndexOfRole(items, 'user');
    items.forEach((entry, index) => {
      const item = asObject(entry);
      if (!item) return;
      if (typeof item.role === 'string') addByRole(chars, item.role, index === lastUser, contentChars(item.content));
      else if (item.type === 'function_call' || item.type === 'custom_tool_call') chars.history += jsonChars(item.arguments ?? item.input);
      else if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') chars.history += contentChars(item.output);
      else if (item.type === 'reasoning') chars.history += contentChars(item.summary);
    });
  }
  return {
    model: asString(request.model),
    stream: request.stream === true,
    clientWantsUsage: true,
    choices: 1,
    maxOutputTokens: positiveInt(request.max_output_tokens),
    footprint: toFootprint(chars),
    user: asString(request.user) ?? asString(request.safety_identifier),
    metadata: stringRecord(request.metadata),
  };
}

/** Inspects an embeddings body; `input` (string, strings, token ids or lists of them) is the last user part. */
export function inspectEmbeddingsRequest(body: unknown): RequestInspection {
  const request = asObject(body) ?? {};
  const footprint = toFootprint(emptyFootprintChars());
  const input = request.input;
  if (typeof input === 'string') footprint.lastUser = charsToTokens(input.length);
  else if (Array.isArray(input)) {
    let chars = 0;
    let tokens = 0;
    for (const item of input) {
      if (typeof item === 'string') chars += item.length;
      else if (typeof item === 'number') tokens += 1; // token ids are exact counts
      else if (Array.isArray(item)) tokens += item.length;
    }
    footprint.lastUser = tokens + charsToTokens(chars);
  }
  return {
    model: asString(request.model),
    stream: false,
    clientWantsUsage: true,
    choices: 1,
    maxOutputTokens: 0,
    footprint,
    user: asString(request.user),
    metadata: null,
  };
}

/** A copy of a chat body whose stream asks for the final usage chunk (other stream_options kept). */
export function withIncludeUsage(body: Record<string, unknown>): Record<string, unknown> {
  return { ...body, stream_options: { ...(asObject(body.stream_options) ?? {}), include_usage: true } };
}

function schemaChars(format: unknown): number {
  const object = asObject(format);
  if (!object || object.type !== 'json_schema') return 0;
  return jsonChars(object.json_schema ?? object.schema);
}

function lastIndexOfRole(items: readonly unknown[], role: string): number {
  for (let i = items.length - 1; i >= 0; i--) if (asObject(items[i])?.role === role) return i;
  return -1;
}

function addByRole(chars: FootprintChars, role: unknown, isLastUser: boolean, size: number): void {
  if (role === 'system' || role === 'developer') chars.system += size;
  else if (isLastUser) chars.lastUser += size;
  else chars.history += size;
}

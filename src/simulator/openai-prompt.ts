import { hashString } from './deterministic-hash.js';
import { encodeText, PromptTokenSink } from './token-counter.js';

/*
 * OpenAI prompt token accounting (o200k):
 * - Messages are framed exactly as gpt-tokenizer's `encodeChat(messages, 'gpt-4o')`:
 *   <|im_start|>{name ?? role}<|im_sep|>{content}<|im_end|> per message, then
 *   <|im_start|>assistant<|im_sep|>. For string contents the count equals `encodeChat(...).length`.
 * - Content-part arrays: each text part is encoded on its own (a close approximation of the
 *   joined text); images count 85 tokens at `detail: "low"`, else 765 (a 512×512 high-detail
 *   tile); audio 200; files 500. Assistant `tool_calls` add the tokens of their JSON.
 * - `tools` and a non-text `response_format` / `text.format` are serialized as JSON and their
 *   tokens precede the messages, so changing them breaks the cached prefix as it does upstream.
 * - Responses API: `instructions` is a leading developer message; a string `input` is one user
 *   message; items map to chat messages (function calls as assistant JSON, outputs as `tool`).
 */

/** A chat-like message as the counter understands it. */
export interface PromptMessage {
  role?: unknown;
  name?: unknown;
  content?: unknown;
  tool_calls?: unknown;
  function_call?: unknown;
}

const IMAGE_LOW_TOKENS = 85;
const IMAGE_HIGH_TOKENS = 765;
const AUDIO_TOKENS = 200;
const FILE_TOKENS = 500;

function pushJson(sink: PromptTokenSink, value: unknown): void {
  sink.push(encodeText(JSON.stringify(value)));
}

function pushPart(sink: PromptTokenSink, part: unknown): void {
  if (typeof part === 'string') {
    sink.push(encodeText(part));
    return;
  }
  if (part === null || typeof part !== 'object') return;
  const p = part as Record<string, any>;
  switch (p.type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      sink.push(encodeText(String(p.text ?? '')));
      break;
    case 'refusal':
      sink.push(encodeText(String(p.refusal ?? '')));
      break;
    case 'image_url':
    case 'input_image': {
      const url = String(p.image_url?.url ?? p.image_url ?? p.file_id ?? '');
      const detail = p.image_url?.detail ?? p.detail;
      sink.pushPlaceholder(hashString(url.slice(0, 256)), detail === 'low' ? IMAGE_LOW_TOKENS : IMAGE_HIGH_TOKENS);
      break;
    }
    case 'input_audio':
      sink.pushPlaceholder(hashString(String(p.input_audio?.data ?? '').slice(0, 256)), AUDIO_TOKENS);
      break;
    case 'file':
    case 'input_file':
      sink.pushPlaceholder(hashString(JSON.stringify(p).slice(0, 256)), FILE_TOKENS);
      break;
    default:
      pushJson(sink, p);
  }
  if (p.prompt_cache_breakpoint) sink.markBreakpoint();
}

function pushMessage(sink: PromptTokenSink, message: PromptMessage): void {
  const role = typeof message.role === 'string' ? message.role : 'system';
  sink.openMessage(typeof message.name === 'string' ? message.name : role);
  if (Array.isArray(message.content)) for (const part of message.content) pushPart(sink, part);
  else if (typeof message.content === 'string') sink.push(encodeText(message.content));
  else if (message.content != null) pushJson(sink, message.content);
  if (message.tool_calls != null) pushJson(sink, message.tool_calls);
  if (message.function_call != null) pushJson(sink, message.function_call);
  sink.closeMessage();
}

function pushPreamble(sink: PromptTokenSink, tools: unknown, format: unknown): void {
  if (Array.isArray(tools) && tools.length > 0) pushJson(sink, tools);
  if (format != null && typeof format === 'object' && (format as { type?: unknown }).type !== 'text') pushJson(sink, format);
}

/** Tokens of a Chat Completions request's prompt. */
export function encodeChatPrompt(body: Record<string, any>): PromptTokenSink {
  const sink = new PromptTokenSink();
  pushPreamble(sink, body.tools, body.response_format);
  for (const message of body.messages as PromptMessage[]) pushMessage(sink, message ?? {});
  sink.primeAssistant();
  return sink;
}

/** Responses API `input` (string or items) as chat-like messages. */
export function responsesInputToMessages(input: unknown): PromptMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) return [];
  const messages: PromptMessage[] = [];
  for (const item of input) {
    if (item === null || typeof item !== 'object') continue;
    const it = item as Record<string, any>;
    if (it.type === 'message' || (it.type === undefined && typeof it.role === 'string')) {
      messages.push({ role: it.role, content: it.content });
    } else if (it.type === 'function_call') {
      messages.push({ role: 'assistant', content: `${it.name ?? ''}(${it.arguments ?? ''})` });
    } else if (it.type === 'function_call_output') {
      messages.push({ role: 'tool', content: typeof it.output === 'string' ? it.output : JSON.stringify(it.output) });
    } else if (it.type !== 'reasoning') {
      messages.push({ role: 'user', content: JSON.stringify(it) });
    }
  }
  return messages;
}

/** Tokens of a Responses API request: preamble, instructions, stored history, then this input. */
export function encodeResponsesPrompt(body: Record<string, any>, history: ReadonlyArray<PromptMessage>): PromptTokenSink {
  const sink = new PromptTokenSink();
  pushPreamble(sink, body.tools, body.text?.format);
  if (typeof body.instructions === 'string' && body.instructions.length > 0) {
    pushMessage(sink, { role: 'developer', content: body.instructions });
  }
  for (const message of history) pushMessage(sink, message);
  for (const message of responsesInputToMessages(body.input)) pushMessage(sink, message);
  sink.primeAssistant();
  return sink;
}

/** Provider adapters: usage normalization, stream meters and request inspection per wire format. */
export type { ParsedUsage, StreamMeter, StreamMeterOptions, StreamResult } from './types.js';
export type { RequestInspection } from './request-inspection.js';
export { convertChatUsage, splitOpenAIPrompt } from './openai/convert-chat-usage.js';
export { convertResponsesUsage } from './openai/convert-responses-usage.js';
export { convertEmbeddingsUsage } from './openai/convert-embeddings-usage.js';
export { createOpenAIChatStreamMeter } from './openai/chat-stream-meter.js';
export { createOpenAIResponsesStreamMeter } from './openai/responses-stream-meter.js';
export {
  inspectChatRequest, inspectEmbeddingsRequest, inspectOpenAIRequest, inspectResponsesRequest, withIncludeUsage,
  type OpenAIEndpoint,
} from './openai/inspect-request.js';
export { convertMessagesUsage, normalizeMessagesUsage } from './anthropic/convert-messages-usage.js';
export { createAnthropicMessagesStreamMeter } from './anthropic/messages-stream-meter.js';
export { inspectMessagesRequest } from './anthropic/inspect-request.js';
export { SseEventSplitter, forEachSseEvent } from './sse-event-splitter.js';

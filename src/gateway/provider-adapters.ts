import {
  convertChatUsage, convertEmbeddingsUsage, convertMessagesUsage, convertResponsesUsage,
  createAnthropicMessagesStreamMeter, createOpenAIChatStreamMeter, createOpenAIResponsesStreamMeter,
  inspectChatRequest, inspectEmbeddingsRequest, inspectMessagesRequest, inspectResponsesRequest, withIncludeUsage,
} from '../providers/index.js';
import { emptyUsage } from '../core/usage.js';
import type { Endpoint } from '../core/usage-event.js';
import type { EndpointAdapter } from './endpoint-adapter.js';

/** Free token-counting calls: recorded (they are rate-limited upstream) with no tokens billed. */
const countTokensAdapter = (inspect: EndpointAdapter['inspect']): EndpointAdapter => ({
  inspect: (body) => ({ ...inspect(body), stream: false }),
  parseUsage: () => ({ usage: emptyUsage(), raw: null, servedModel: null, serviceTier: null }),
});

/** Each metered endpoint's inspection, usage parsing and stream metering. */
export const ENDPOINT_ADAPTERS: Partial<Record<Endpoint, EndpointAdapter>> = {
  'chat.completions': {
    inspect: inspectChatRequest,
    parseUsage: convertChatUsage,
    createStreamMeter: createOpenAIChatStreamMeter,
    // Without include_usage an OpenAI stream carries no usage at all; ask for it and hide it again.
    streamUpstreamBody: (body, info) => (info.clientWantsUsage ? null : withIncludeUsage(body)),
  },
  responses: {
    inspect: inspectResponsesRequest,
    parseUsage: convertResponsesUsage,
    createStreamMeter: createOpenAIResponsesStreamMeter,
  },
  embeddings: {
    inspect: inspectEmbeddingsRequest,
    parseUsage: convertEmbeddingsUsage,
  },
  other: countTokensAdapter(inspectResponsesRequest),
  messages: {
    inspect: inspectMessagesRequest,
    parseUsage: convertMessagesUsage,
    createStreamMeter: createAnthropicMessagesStreamMeter,
  },
  'messages.count_tokens': countTokensAdapter(inspectMessagesRequest),
};

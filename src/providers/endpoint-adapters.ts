import {
  convertChatUsage, convertEmbeddingsUsage, convertMessagesUsage, convertResponsesUsage,
  createAnthropicMessagesStreamMeter, createOpenAIChatStreamMeter, createOpenAIResponsesStreamMeter,
  inspectChatRequest, inspectEmbeddingsRequest, inspectMessagesRequest, inspectResponsesRequest, withIncludeUsage,
} from './index.js';
import { emptyUsage } from '../core/usage.js';
import type { Endpoint } from '../core/usage-event.js';
import type { EndpointAdapter } from './endpoint-adapter.js';
import { prependMember } from './json-splice.js';

const INCLUDE_USAGE_MEMBER = '"stream_options":{"include_usage":true}';

/** Free token-counting calls: recorded (they are rate-limited upstream) with no tokens billed. */
const countTokensAdapter = (inspect: EndpointAdapter['inspect']): EndpointAdapter => ({
  inspect: (body) => ({ ...inspect(body), stream: false }),
  parseUsage: () => ({ usage: emptyUsage(), raw: null, servedModel: null, serviceTier: null }),
});

/** Chat completions: keep whichever limit field the caller used; reasoning models only take max_completion_tokens. */
function setChatMaxTokens(body: Record<string, unknown>, tokens: number): void {
  const model = typeof body.model === 'string' ? body.model : '';
  if ('max_completion_tokens' in body || /^(o\d|gpt-5)/.test(model)) {
    body.max_completion_tokens = tokens;
    delete body.max_tokens;
  } else body.max_tokens = tokens;
}

/** Each metered endpoint's inspection, usage parsing and stream metering. */
export const ENDPOINT_ADAPTERS: Partial<Record<Endpoint, EndpointAdapter>> = {
  'chat.completions': {
    inspect: inspectChatRequest,
    parseUsage: convertChatUsage,
    createStreamMeter: createOpenAIChatStreamMeter,
    // Without include_usage an OpenAI stream carries no usage at all; ask for it and hide it again.
    withStreamUsage: withIncludeUsage,
    withStreamUsageBytes: (raw, inspected) => ('stream_options' in inspected ? null : prependMember(raw, INCLUDE_USAGE_MEMBER)),
    setMaxOutputTokens: setChatMaxTokens,
  },
  responses: {
    inspect: inspectResponsesRequest,
    parseUsage: convertResponsesUsage,
    createStreamMeter: createOpenAIResponsesStreamMeter,
    setMaxOutputTokens: (body, tokens) => {
      body.max_output_tokens = tokens;
    },
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
    setMaxOutputTokens: (body, tokens) => {
      body.max_tokens = tokens;
    },
  },
  'messages.count_tokens': countTokensAdapter(inspectMessagesRequest),
};

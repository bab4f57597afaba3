import { asObject, asString } from '../json-fields.js';
import {
  contentChars, emptyFootprintChars, jsonChars, positiveInt, stringRecord, toFootprint, type RequestInspection,
} from '../request-inspection.js';

/**
 * Inspects an Anthropic Messages (or count_tokens) body: `system` (string or text blocks), tool schemas,
 * history, and the last user turn (which may hold tool results). `metadata.user_id` is the user.
 */
export function inspectMessagesRequest(body: unknown): RequestInspection {
  const request = asObject(body) ?? {};
  const chars = emptyFootprintChars();
  chars.system = contentChars(request.system);
  chars.tools = jsonChars(request.tools) + jsonChars(asObject(asObject(request.output_config)?.format)?.schema);
  const messages = Array.isArray(request.messages) ? request.messages : [];
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (asObject(messages[i])?.role === 'user') {
      lastUser = i;
      break;
    }
  }
  messages.forEach((item, index) => {
    const size = contentChars(asObject(item)?.content);
    if (index === lastUser) chars.lastUser += size;
    else chars.history += size;
  });
  const metadata = asObject(request.metadata);
  return {
    model: asString(request.model),
    stream: request.stream === true,
    clientWantsUsage: true,
    choices: 1,
    maxOutputTokens: positiveInt(request.max_tokens) ?? (request.max_tokens === 0 ? 0 : null),
    footprint: toFootprint(chars),
    user: asString(metadata?.user_id),
    metadata: stringRecord(metadata),
  };
}

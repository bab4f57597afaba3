import { z } from 'zod';
import type { CallRecord } from '../core/usage-event-builder.js';
import type { Attribution, Endpoint, PromptFootprint } from '../core/usage-event.js';
import type { Usage } from '../core/usage.js';
import { ENDPOINT_ADAPTERS } from '../providers/endpoint-adapters.js';

const ENDPOINTS = ['chat.completions', 'responses', 'embeddings', 'messages', 'messages.count_tokens', 'models', 'other'] as const;
const MAX_TAGS = 32;

const attributionValue = z.string().max(256).nullable().optional();
const count = z.number().int().nonnegative();

/** Usage already normalized into tokenmeter's disjoint buckets (estimates for calls without provider usage). */
const normalizedUsageSchema = z.strictObject({
  input_uncached: count.default(0),
  cache_read: count.default(0),
  cache_write_5m: count.default(0),
  cache_write_1h: count.default(0),
  output: count.default(0),
  reasoning: count.default(0),
  web_search_requests: count.default(0),
});

/** Token fields the converters read: when present they must be counts, not strings. */
const TOKEN_FIELDS = new Set([
  'prompt_tokens', 'completion_tokens', 'total_tokens', 'input_tokens', 'output_tokens',
  'cache_read_input_tokens', 'cache_creation_input_tokens', 'cached_tokens', 'reasoning_tokens', 'cache_write_tokens',
  'ephemeral_5m_input_tokens', 'ephemeral_1h_input_tokens', 'web_search_requests', 'thinking_tokens',
]);

const isTokenField = (key: string): boolean => TOKEN_FIELDS.has(key) || key.endsWith('_tokens');

/**
 * The provider's raw usage object. Token fields (two levels deep) must be non-negative integers; other
 * fields (an aggregator's `cost`, say) are kept as they came.
 */
const rawUsageSchema = z.record(z.string(), z.unknown()).superRefine((usage, ctx) => {
  const visit = (value: unknown, path: string[], depth: number): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (depth < 2) for (const [key, inner] of Object.entries(value)) visit(inner, [...path, key], depth + 1);
      return;
    }
    if (value === null || value === undefined || !isTokenField(path[path.length - 1]!)) return;
    if (typeof value !== 'number') ctx.addIssue({ code: 'custom', path, message: `expected a token count (number), got ${typeof value}` });
    else if (!Number.isSafeInteger(value) || value < 0) ctx.addIssue({ code: 'custom', path, message: 'expected a non-negative integer token count' });
  };
  for (const [key, value] of Object.entries(usage)) visit(value, [key], 0);
});

/**
 * One usage record of POST /v1/tokenmeter/events (and `meter.record()`): a call made elsewhere, with the
 * provider's usage object exactly as returned. snake_case, like the providers' own wire formats.
 */
export const ingestRecordSchema = z.object({
  id: z.string().min(1).max(200),
  provider: z.string().trim().min(1).max(64).transform((value) => value.toLowerCase()),
  model: z.string().trim().min(1).max(256),
  usage: rawUsageSchema.nullable(),
  endpoint: z.enum(ENDPOINTS).optional(),
  feature: attributionValue,
  tenant: attributionValue,
  user: attributionValue,
  team: attributionValue,
  task: attributionValue,
  template: attributionValue,
  env: attributionValue,
  tags: z.record(z.string().min(1).max(64), z.string().max(256))
    .refine((tags) => Object.keys(tags).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`).optional(),
  ts: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]).optional(),
  latency_ms: count.optional(),
  ttft_ms: count.nullable().optional(),
  status: z.number().int().min(0).max(599).optional(),
  error_type: z.string().max(128).nullable().optional(),
  attempt: z.number().int().min(1).max(100).optional(),
  retry_of: z.string().min(1).max(200).nullable().optional(),
  stream: z.boolean().optional(),
  /** The model the provider said answered (default: `model`). */
  served_model: z.string().max(256).nullable().optional(),
  service_tier: z.string().max(64).nullable().optional(),
  /** Normalized usage to bill instead of `usage` (stream cut short): the event is flagged estimated. */
  estimated_usage: normalizedUsageSchema.nullable().optional(),
  footprint: z.strictObject({ system: count, tools: count, history: count, last_user: count }).nullable().optional(),
  /** `sdk` when tokenmeter's in-process SDK metered the call; default `ingest`. */
  source: z.enum(['sdk', 'ingest']).optional(),
});

/** A validated ingest record. */
export type IngestRecord = z.infer<typeof ingestRecordSchema>;
/** An ingest record as sent (before defaults and transforms). */
export type IngestRecordInput = z.input<typeof ingestRecordSchema>;

const KNOWN_KEYS = new Set(Object.keys(ingestRecordSchema.shape));

/** A field-level problem in one record: `field` is a dotted path (`usage.prompt_tokens`). */
export interface FieldError {
  field: string;
  message: string;
}

/** Result of validating one record: the record, or the errors naming its bad fields. */
export type RecordCheck =
  | { ok: true; record: IngestRecord; warnings: FieldError[] }
  | { ok: false; id: string | null; errors: FieldError[] };

/** Validates one record; unknown fields are ignored with a warning (a newer client must not be refused). */
export function checkIngestRecord(input: unknown): RecordCheck {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, id: null, errors: [{ field: '(record)', message: 'expected a JSON object' }] };
  }
  const result = ingestRecordSchema.safeParse(input);
  const rawId = (input as { id?: unknown }).id;
  if (!result.success) return { ok: false, id: typeof rawId === 'string' ? rawId : null, errors: fieldErrors(result.error) };
  const warnings: FieldError[] = [];
  for (const key of Object.keys(input)) if (!KNOWN_KEYS.has(key)) warnings.push({ field: key, message: 'unknown field, ignored' });
  return { ok: true, record: result.data, warnings };
}

/** zod issues as field errors with plain messages. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length === 0 ? '(record)' : issue.path.map(String).join('.'),
    message: issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'required' : issue.message,
  }));
}

/** The endpoint a record's usage belongs to when it does not say (its shape tells chat from responses). */
export function inferEndpoint(provider: string, usage: Record<string, unknown> | null): Endpoint {
  if (provider === 'anthropic') return 'messages';
  if (!usage) return 'chat.completions';
  if ('prompt_tokens' in usage) return 'completion_tokens' in usage ? 'chat.completions' : 'embeddings';
  if ('cache_read_input_tokens' in usage || 'cache_creation_input_tokens' in usage) return 'messages';
  return 'input_tokens' in usage ? 'responses' : 'chat.completions';
}

/**
 * A validated record as the call record the gateway would have built: its usage normalized by the
 * endpoint's own converter, so `buildUsageEvent` prices it exactly like a proxied call.
 */
export function ingestRecordToCallRecord(record: IngestRecord, now: number): CallRecord {
  const inferred = inferEndpoint(record.provider, record.usage);
  const endpoint = record.endpoint ?? inferred;
  const adapter = ENDPOINT_ADAPTERS[endpoint] ?? ENDPOINT_ADAPTERS[inferred]!;
  const servedModel = record.served_model === undefined ? record.model : record.served_model;
  // The converters read a response body: usage plus the model and tier beside it.
  const parsed = record.usage ? adapter.parseUsage({ model: servedModel, service_tier: record.service_tier ?? null, usage: record.usage }) : null;
  const attribution: Attribution = {
    feature: record.feature ?? null, tenant: record.tenant ?? null, user: record.user ?? null, team: record.team ?? null,
    task: record.task ?? null, template: record.template ?? null, env: record.env ?? null, tags: { ...record.tags },
  };
  const status = record.status ?? (record.error_type ? 500 : 200);
  return {
    id: record.id,
    ts: record.ts === undefined ? now : typeof record.ts === 'number' ? record.ts : Date.parse(record.ts),
    latencyMs: record.latency_ms ?? 0,
    ttftMs: record.ttft_ms ?? null,
    provider: record.provider,
    endpoint,
    requestedModel: record.model,
    status,
    errorType: record.error_type ?? null,
    stream: record.stream ?? false,
    parsed,
    estimatedUsage: record.estimated_usage ? fromWireUsage(record.estimated_usage) : null,
    attribution,
    attempt: record.attempt ?? 1,
    retryOf: record.retry_of ?? null,
    cacheStatus: 'none',
    footprint: record.footprint ? { system: record.footprint.system, tools: record.footprint.tools, history: record.footprint.history, lastUser: record.footprint.last_user } : null,
    requestText: null,
    responseText: null,
    source: record.source ?? 'ingest',
  };
}

/**
 * The wire record of a call the SDK metered, for shipping to a gateway: the provider's raw usage goes
 * as is (the gateway normalizes it again with the same converter), estimates as normalized buckets.
 */
export function callRecordToIngestRecord(call: CallRecord): IngestRecordInput {
  const a = call.attribution;
  const fp: PromptFootprint | null = call.footprint;
  const raw = call.parsed?.raw;
  return {
    id: call.id,
    provider: call.provider,
    model: call.requestedModel ?? call.parsed?.servedModel ?? 'unknown',
    usage: raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null,
    endpoint: call.endpoint,
    served_model: call.parsed?.servedModel ?? null,
    service_tier: call.parsed?.serviceTier ?? null,
    estimated_usage: call.estimatedUsage ? toWireUsage(call.estimatedUsage) : null,
    feature: a.feature, tenant: a.tenant, user: a.user, team: a.team, task: a.task, template: a.template, env: a.env, tags: a.tags,
    ts: call.ts,
    latency_ms: call.latencyMs,
    ttft_ms: call.ttftMs,
    status: call.status,
    error_type: call.errorType,
    attempt: call.attempt,
    retry_of: call.retryOf,
    stream: call.stream,
    footprint: fp ? { system: fp.system, tools: fp.tools, history: fp.history, last_user: fp.lastUser } : null,
    source: call.source === 'sdk' ? 'sdk' : 'ingest',
  };
}

type WireUsage = z.infer<typeof normalizedUsageSchema>;

function fromWireUsage(u: WireUsage): Usage {
  return {
    inputUncached: u.input_uncached, cacheRead: u.cache_read, cacheWrite5m: u.cache_write_5m, cacheWrite1h: u.cache_write_1h,
    output: u.output, reasoning: u.reasoning, webSearchRequests: u.web_search_requests,
  };
}

function toWireUsage(u: Usage): WireUsage {
  return {
    input_uncached: u.inputUncached, cache_read: u.cacheRead, cache_write_5m: u.cacheWrite5m, cache_write_1h: u.cacheWrite1h,
    output: u.output, reasoning: u.reasoning, web_search_requests: u.webSearchRequests,
  };
}

import type { AnthropicBatchEntry } from './batch-store.js';
import { handleMessages } from './anthropic-messages-handler.js';
import type { HandlerResult, SimulatorContext, SimulatorRequest } from './simulator-context.js';
import { anthropicErrorType, invalidRequest, type WireError } from './wire-errors.js';

/*
 * Anthropic Message Batches (reference §3). Requests run through the live Messages handler
 * (caching applies) once `batchCompletionMs` has passed, evaluated lazily on read. Each succeeded
 * message reports `usage.service_tier: "batch"`; there is no batch-level usage.
 */

const DAY_MS = 86_400_000;
const MAX_REQUESTS = 100_000;

function fail(error: WireError): HandlerResult {
  return { kind: 'error', error };
}

function ok(body: unknown): HandlerResult {
  return { kind: 'json', status: 200, body, inputTokens: 0, outputTokens: 0, chunks: 0 };
}

function notFound(id: string | null): HandlerResult {
  return fail({ status: 404, message: `message batch '${id}' not found`, openAiType: 'invalid_request_error', param: null, code: null });
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `POST /v1/messages/batches` with `{requests:[{custom_id, params}]}`. */
export function handleCreateMessageBatch(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const requests = req.body.requests;
  if (!Array.isArray(requests) || requests.length === 0) return fail(invalidRequest('requests: List should have at least 1 item'));
  if (requests.length > MAX_REQUESTS) return fail(invalidRequest(`requests: List should have at most ${MAX_REQUESTS} items`));
  const seen = new Set<string>();
  for (const [i, r] of requests.entries()) {
    if (typeof r?.custom_id !== 'string' || r.custom_id.length === 0) return fail(invalidRequest(`requests.${i}.custom_id: Field required`));
    if (seen.has(r.custom_id)) return fail(invalidRequest(`requests.${i}.custom_id: duplicate custom_id '${r.custom_id}'`));
    seen.add(r.custom_id);
    if (r.params == null || typeof r.params !== 'object') return fail(invalidRequest(`requests.${i}.params: Field required`));
  }
  const batch: Record<string, any> = {
    id: ctx.ids.next('msgbatch_01', 22),
    type: 'message_batch',
    processing_status: 'in_progress',
    request_counts: { processing: requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    ended_at: null,
    created_at: iso(req.now),
    expires_at: iso(req.now + DAY_MS),
    archived_at: null,
    cancel_initiated_at: null,
    results_url: null,
  };
  ctx.batches.anthropicBatches.set(batch.id, { batch, requests, completeAt: req.now + ctx.options.batchCompletionMs, results: null });
  return ok(batch);
}

function errored(error: WireError, requestId: string): Record<string, unknown> {
  return { type: 'errored', error: { type: 'error', error: { type: error.anthropicType ?? anthropicErrorType(error.status), message: error.message }, request_id: requestId } };
}

/** Ends a batch whose time has come (or that was cancelled), producing its JSONL results. */
function settle(ctx: SimulatorContext, entry: AnthropicBatchEntry, now: number, baseUrl: string): void {
  const batch = entry.batch;
  if (batch.processing_status === 'ended') return;
  const canceling = batch.processing_status === 'canceling';
  if (!canceling && now < entry.completeAt) return;
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  const lines: string[] = [];
  for (const { custom_id, params } of entry.requests) {
    let result: Record<string, unknown>;
    if (canceling) {
      result = { type: 'canceled' };
    } else if (params.stream === true || params.max_tokens === 0) {
      result = errored(invalidRequest(params.stream === true ? 'stream: streaming is not supported in batches' : 'max_tokens: must be at least 1 in batches'), ctx.ids.next('req_011C', 20));
    } else {
      const requestId = ctx.ids.next('req_011C', 20);
      const outcome = handleMessages(ctx, { body: params, rawBody: '', baseUrl, headers: {}, pathId: null, outputTokensOverride: null, requestId, now });
      if (outcome.kind === 'json') {
        const message = outcome.body as Record<string, any>;
        message.usage.service_tier = 'batch';
        result = { type: 'succeeded', message };
      } else {
        result = errored(outcome.kind === 'error' ? outcome.error : invalidRequest('unsupported request'), requestId);
      }
    }
    counts[(result.type === 'canceled' ? 'canceled' : result.type) as 'succeeded' | 'errored' | 'canceled']++;
    lines.push(JSON.stringify({ custom_id, result }));
  }
  entry.results = lines.join('\n') + '\n';
  Object.assign(batch, {
    processing_status: 'ended',
    request_counts: counts,
    ended_at: iso(now),
    results_url: `${baseUrl}/v1/messages/batches/${batch.id}/results`,
  });
}

function find(ctx: SimulatorContext, req: SimulatorRequest): AnthropicBatchEntry | undefined {
  const entry = ctx.batches.anthropicBatches.get(req.pathId ?? '');
  if (entry !== undefined) settle(ctx, entry, req.now, req.baseUrl);
  return entry;
}

/** `GET /v1/messages/batches/{id}`. */
export function handleGetMessageBatch(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entry = find(ctx, req);
  return entry === undefined ? notFound(req.pathId) : ok(entry.batch);
}

/** `GET /v1/messages/batches`: newest first, one page. */
export function handleListMessageBatches(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entries = ctx.batches.anthropicBatches.values().reverse();
  for (const entry of entries) settle(ctx, entry, req.now, req.baseUrl);
  const data = entries.map((e) => e.batch);
  return ok({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
}

/** `GET /v1/messages/batches/{id}/results`: JSONL, available once ended. */
export function handleMessageBatchResults(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entry = find(ctx, req);
  if (entry === undefined) return notFound(req.pathId);
  if (entry.results === null) return fail({ status: 400, message: `Batch '${entry.batch.id}' has not ended yet.`, openAiType: 'invalid_request_error', param: null, code: null });
  return { kind: 'raw', status: 200, contentType: 'application/binary', body: entry.results };
}

/** `POST /v1/messages/batches/{id}/cancel`: `canceling` now, ended with canceled results when next read. */
export function handleCancelMessageBatch(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entry = find(ctx, req);
  if (entry === undefined) return notFound(req.pathId);
  if (entry.batch.processing_status === 'in_progress') {
    Object.assign(entry.batch, { processing_status: 'canceling', cancel_initiated_at: iso(req.now) });
  }
  return ok(entry.batch);
}

/** `DELETE /v1/messages/batches/{id}`: only once ended. */
export function handleDeleteMessageBatch(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entry = find(ctx, req);
  if (entry === undefined) return notFound(req.pathId);
  if (entry.batch.processing_status !== 'ended') {
    return fail(invalidRequest(`Message batch ${entry.batch.id} cannot be deleted while it is still processing. Cancel it first.`));
  }
  ctx.batches.anthropicBatches.delete(entry.batch.id);
  return ok({ id: entry.batch.id, type: 'message_batch_deleted' });
}

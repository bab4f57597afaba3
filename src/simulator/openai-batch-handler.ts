import { multipartFields, type OpenAiBatchEntry, type StoredFile } from './batch-store.js';
import { handleChatCompletions } from './openai-chat-handler.js';
import { handleEmbeddings } from './openai-embeddings-handler.js';
import { handleResponses } from './openai-responses-handler.js';
import type { HandlerResult, SimulatorContext, SimulatorRequest } from './simulator-context.js';
import { invalidRequest, renderErrorBody, type WireError } from './wire-errors.js';

/*
 * OpenAI Files + Batch API (reference §3). A batch runs its lines through the same handlers as
 * live requests (prompt caching included, no faults or latency) once `batchCompletionMs` has
 * passed since creation; progress is evaluated lazily whenever the batch is read, so tests need
 * no timers. Successful lines go to the output file, failed ones to the error file.
 */

type LineHandler = (ctx: SimulatorContext, req: SimulatorRequest) => HandlerResult;
const ENDPOINTS: Readonly<Record<string, LineHandler>> = {
  '/v1/chat/completions': handleChatCompletions,
  '/v1/responses': handleResponses,
  '/v1/embeddings': handleEmbeddings,
};
const DAY_S = 86_400;

function fail(error: WireError): HandlerResult {
  return { kind: 'error', error };
}

function ok(body: unknown): HandlerResult {
  return { kind: 'json', status: 200, body, inputTokens: 0, outputTokens: 0, chunks: 0 };
}

function notFound(what: string, id: string | null): HandlerResult {
  return fail({ status: 404, message: `No ${what} found with id '${id}'.`, openAiType: 'invalid_request_error', param: 'id', code: null });
}

function fileObject(file: StoredFile): Record<string, unknown> {
  return { id: file.id, object: 'file', bytes: Buffer.byteLength(file.content), created_at: file.createdAt, expires_at: null, filename: file.filename, purpose: file.purpose, status: 'processed', status_details: null };
}

function storeFile(ctx: SimulatorContext, filename: string, purpose: string, content: string, now: number): StoredFile {
  const file = { id: ctx.ids.next('file-', 22), filename, purpose, createdAt: Math.floor(now / 1000), content };
  ctx.batches.files.set(file.id, file);
  return file;
}

/** `POST /v1/files` (multipart: `file`, `purpose`). */
export function handleUploadFile(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const fields = multipartFields(req.rawBody, req.headers['content-type']);
  const file = fields?.get('file');
  if (file === undefined) return fail(invalidRequest("Missing required parameter: 'file'.", 'file', 'missing_required_parameter'));
  const purpose = fields!.get('purpose')?.value;
  if (purpose === undefined) return fail(invalidRequest("Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter'));
  return ok(fileObject(storeFile(ctx, file.filename ?? 'upload.jsonl', purpose, file.value, req.now)));
}

/** `GET /v1/files/{id}`. */
export function handleGetFile(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const file = ctx.batches.files.get(req.pathId ?? '');
  return file === undefined ? notFound('file', req.pathId) : ok(fileObject(file));
}

/** `GET /v1/files/{id}/content`: the file's bytes (batch output is JSONL). */
export function handleFileContent(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const file = ctx.batches.files.get(req.pathId ?? '');
  return file === undefined ? notFound('file', req.pathId) : { kind: 'raw', status: 200, contentType: 'application/octet-stream', body: file.content };
}

/** `POST /v1/batches`: validates the input file's lines; the batch then runs after `batchCompletionMs`. */
export function handleCreateBatch(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const { input_file_id: inputFileId, endpoint, completion_window: window, metadata } = req.body;
  if (typeof endpoint !== 'string' || !(endpoint in ENDPOINTS)) {
    return fail(invalidRequest(`Invalid value for 'endpoint': ${JSON.stringify(endpoint)}. Supported values are: ${Object.keys(ENDPOINTS).join(', ')}.`, 'endpoint', 'invalid_value'));
  }
  if (window !== '24h') return fail(invalidRequest("Invalid value for 'completion_window': only '24h' is supported.", 'completion_window', 'invalid_value'));
  const input = typeof inputFileId === 'string' ? ctx.batches.files.get(inputFileId) : undefined;
  if (input === undefined) return fail(invalidRequest(`Invalid 'input_file_id': '${String(inputFileId)}'. File not found.`, 'input_file_id', 'invalid_value'));
  const created = Math.floor(req.now / 1000);
  const lines = input.content.split('\n').filter((l) => l.trim() !== '');
  const problems: Array<{ code: string; message: string; param: string | null; line: number }> = [];
  lines.forEach((line, i) => {
    let parsed: any;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push({ code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: i + 1 });
      return;
    }
    if (parsed?.url !== endpoint) problems.push({ code: 'mismatched_endpoint', message: `The provided url '${parsed?.url}' does not match the batch endpoint '${endpoint}'.`, param: 'url', line: i + 1 });
    else if (typeof parsed.custom_id !== 'string') problems.push({ code: 'missing_required_parameter', message: "Missing required parameter: 'custom_id'.", param: 'custom_id', line: i + 1 });
  });
  const batch: Record<string, any> = {
    id: ctx.ids.hex('batch_', 32),
    object: 'batch',
    endpoint,
    errors: problems.length > 0 ? { object: 'list', data: problems } : null,
    input_file_id: input.id,
    completion_window: '24h',
    status: problems.length > 0 ? 'failed' : 'validating',
    output_file_id: null,
    error_file_id: null,
    created_at: created,
    in_progress_at: null,
    expires_at: created + DAY_S,
    finalizing_at: null,
    completed_at: null,
    failed_at: problems.length > 0 ? created : null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: problems.length > 0 ? 0 : lines.length, completed: 0, failed: 0 },
    metadata: metadata ?? null,
  };
  ctx.batches.openAiBatches.set(batch.id, { batch, completeAt: req.now + ctx.options.batchCompletionMs });
  return ok(batch);
}

/** Advances a batch to where the clock says it is: cancelled, or run and completed. */
function settle(ctx: SimulatorContext, entry: OpenAiBatchEntry, now: number): void {
  const batch = entry.batch;
  const seconds = Math.floor(now / 1000);
  if (batch.status === 'cancelling') {
    Object.assign(batch, { status: 'cancelled', cancelled_at: seconds });
    return;
  }
  if (batch.status !== 'validating' && batch.status !== 'in_progress') return;
  if (now < entry.completeAt) {
    Object.assign(batch, { status: 'in_progress', in_progress_at: batch.in_progress_at ?? seconds });
    return;
  }
  const handler = ENDPOINTS[batch.endpoint]!;
  const input = ctx.batches.files.get(batch.input_file_id)?.content ?? '';
  const outputs: string[] = [];
  const errors: string[] = [];
  const usage = { input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 };
  for (const line of input.split('\n')) {
    if (line.trim() === '') continue;
    const request = JSON.parse(line);
    const requestId = ctx.ids.hex('req_', 32);
    const result = handler(ctx, { body: request.body ?? {}, rawBody: '', baseUrl: '', headers: {}, pathId: null, outputTokensOverride: null, requestId, now });
    const id = ctx.ids.next('batch_req_', 32);
    if (result.kind === 'json') {
      addUsage(usage, (result.body as any).usage);
      outputs.push(JSON.stringify({ id, custom_id: request.custom_id, response: { status_code: 200, request_id: requestId, body: result.body }, error: null }));
    } else {
      const error = result.kind === 'error' ? result.error : invalidRequest('Streaming is not supported in batches.', 'stream', null);
      const body = JSON.parse(renderErrorBody('openai', error, requestId));
      errors.push(JSON.stringify({ id, custom_id: request.custom_id, response: { status_code: error.status, request_id: requestId, body }, error: null }));
    }
  }
  const output = outputs.length > 0 ? storeFile(ctx, `batch_${batch.id}_output.jsonl`, 'batch_output', outputs.join('\n') + '\n', now) : null;
  const errorFile = errors.length > 0 ? storeFile(ctx, `batch_${batch.id}_error.jsonl`, 'batch_output', errors.join('\n') + '\n', now) : null;
  Object.assign(batch, {
    status: 'completed',
    in_progress_at: batch.in_progress_at ?? seconds,
    finalizing_at: seconds,
    completed_at: seconds,
    output_file_id: output?.id ?? null,
    error_file_id: errorFile?.id ?? null,
    request_counts: { total: outputs.length + errors.length, completed: outputs.length, failed: errors.length },
    usage,
  });
}

function addUsage(total: Record<string, any>, usage: Record<string, any> | undefined): void {
  if (usage == null) return;
  const input = usage.input_tokens ?? usage.prompt_tokens ?? 0;
  const output = usage.output_tokens ?? usage.completion_tokens ?? 0;
  total.input_tokens += input;
  total.input_tokens_details.cached_tokens += (usage.input_tokens_details ?? usage.prompt_tokens_details)?.cached_tokens ?? 0;
  total.output_tokens += output;
  total.output_tokens_details.reasoning_tokens += (usage.output_tokens_details ?? usage.completion_tokens_details)?.reasoning_tokens ?? 0;
  total.total_tokens += input + output;
}

/** `GET /v1/batches/{id}`. */
export function handleGetBatch(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entry = ctx.batches.openAiBatches.get(req.pathId ?? '');
  if (entry === undefined) return notFound('batch', req.pathId);
  settle(ctx, entry, req.now);
  return ok(entry.batch);
}

/** `GET /v1/batches`: newest first. */
export function handleListBatches(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entries = ctx.batches.openAiBatches.values().reverse();
  for (const entry of entries) settle(ctx, entry, req.now);
  const data = entries.map((e) => e.batch);
  return ok({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
}

/** `POST /v1/batches/{id}/cancel`: `cancelling` now, `cancelled` when next read; finished batches are unchanged. */
export function handleCancelBatch(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const entry = ctx.batches.openAiBatches.get(req.pathId ?? '');
  if (entry === undefined) return notFound('batch', req.pathId);
  settle(ctx, entry, req.now);
  if (entry.batch.status === 'validating' || entry.batch.status === 'in_progress') {
    Object.assign(entry.batch, { status: 'cancelling', cancelling_at: Math.floor(req.now / 1000) });
  }
  return ok(entry.batch);
}

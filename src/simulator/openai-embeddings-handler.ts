import { createRandom, hashInts, hashString } from './deterministic-hash.js';
import { embeddingDimensionsOf } from './model-catalog.js';
import type { HandlerResult, SimulatorContext, SimulatorRequest } from './simulator-context.js';
import { countText } from './token-counter.js';
import { invalidRequest, type WireError } from './wire-errors.js';

const MAX_INPUTS = 2048;
const MAX_TOKENS_PER_INPUT = 8192;
const MAX_TOKENS_PER_REQUEST = 300_000;

function fail(error: WireError): HandlerResult {
  return { kind: 'error', error };
}

/** Normalizes `input` to a list of strings or token arrays; null when the shape is invalid. */
function inputsOf(input: unknown): Array<string | number[]> | null {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return null;
  if (input.every((x) => typeof x === 'number')) return [input as number[]];
  if (input.every((x) => typeof x === 'string' || (Array.isArray(x) && x.every((t) => typeof t === 'number')))) {
    return input as Array<string | number[]>;
  }
  return null;
}

/** A unit-length vector, deterministic for (seed, text). */
function vectorFor(seed: number, input: string | number[], dimensions: number): Float32Array {
  const identity = typeof input === 'string' ? hashString(input) : hashString(input.join(','));
  const random = createRandom(hashInts(seed, identity, dimensions));
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = random() + random() + random() - 1.5; // roughly normal, centred
    vector[i] = value;
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dimensions; i++) vector[i]! *= scale;
  return vector;
}

/** `POST /v1/embeddings`: deterministic unit vectors, `float` or little-endian float32 `base64`. */
export function handleEmbeddings(ctx: SimulatorContext, req: SimulatorRequest): HandlerResult {
  const body = req.body;
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) return fail(invalidRequest('you must provide a model parameter', null, null));
  const inputs = inputsOf(body.input);
  if (inputs === null || inputs.some((x) => x.length === 0)) {
    return fail(invalidRequest("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null, null));
  }
  if (inputs.length > MAX_INPUTS) return fail(invalidRequest(`'$.input' is invalid: at most ${MAX_INPUTS} inputs are allowed.`, 'input', null));
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    return fail(invalidRequest(`Invalid value for 'encoding_format': '${String(format)}'. Supported values are: 'float' and 'base64'.`, 'encoding_format', 'invalid_value'));
  }
  const native = embeddingDimensionsOf(model);
  let dimensions = native ?? ctx.options.embeddingDimensions;
  if (body.dimensions != null) {
    if (model.startsWith('text-embedding-ada-002')) return fail(invalidRequest('This model does not support specifying dimensions.', 'dimensions', null));
    if (!Number.isInteger(body.dimensions) || body.dimensions < 1 || (native !== null && body.dimensions > native)) {
      return fail(invalidRequest(`Invalid value for 'dimensions' = ${JSON.stringify(body.dimensions)}. Must be between 1 and ${native ?? 'the model size'}.`, 'dimensions', null));
    }
    dimensions = body.dimensions;
  }
  let total = 0;
  for (const input of inputs) {
    const tokens = typeof input === 'string' ? countText(input) : input.length;
    if (tokens > MAX_TOKENS_PER_INPUT) {
      return fail(invalidRequest(`This model's maximum context length is ${MAX_TOKENS_PER_INPUT} tokens, however you requested ${tokens} tokens in your prompt. Please reduce your prompt.`, null, null));
    }
    total += tokens;
  }
  if (total > MAX_TOKENS_PER_REQUEST) {
    return fail(invalidRequest(`Requested ${total} tokens, max ${MAX_TOKENS_PER_REQUEST} tokens per request`, 'input', 'max_tokens_per_request'));
  }
  const data = inputs.map((input, index) => {
    const vector = vectorFor(ctx.options.seed, input, dimensions);
    const embedding = format === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector);
    return { object: 'embedding', index, embedding };
  });
  const response = { object: 'list', data, model, usage: { prompt_tokens: total, total_tokens: total } };
  return { kind: 'json', status: 200, body: response, inputTokens: total, outputTokens: 0, chunks: 0 };
}

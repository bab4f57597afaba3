import { hashInts, hashString } from './deterministic-hash.js';
import type { SimulatorOptions } from './simulator-options.js';
import { generateArguments, generatePieces, pickLength } from './text-generator.js';
import { countText } from './token-counter.js';

/** A tool the model is forced to call. */
export interface ForcedTool {
  name: string;
  schema: unknown;
}

/** Everything decided about one answer (one choice) before it is rendered in a wire format. */
export interface OutputPlan {
  /** Hidden reasoning / thinking tokens, part of `outputTokens`. */
  reasoningTokens: number;
  /** Visible text, one token per piece. */
  pieces: string[];
  text: string;
  /** True when the length cap cut the answer (finish_reason `length`, stop_reason `max_tokens`). */
  truncated: boolean;
  /** The forced tool call instead of text, if any. */
  tool: { name: string; arguments: string; tokens: number } | null;
  /** All generated tokens: reasoning + visible (+ tool call). */
  outputTokens: number;
}

/** Inputs to `planOutput`. */
export interface OutputRequest {
  /** Identity of the prompt (digest) so equal prompts get equal answers. */
  promptDigest: string;
  /** Choice index (OpenAI `n`), mixed into the seed. */
  index: number;
  /** Cap on reasoning + visible output, null when uncapped. */
  cap: number | null;
  /** Reasoning tokens the model wants to spend before answering. */
  reasoning: number;
  /** `x-simulator-output-tokens`, overriding the default length. */
  forcedLength: number | null;
  tool: ForcedTool | null;
}

/** Seed of one answer: option seed × prompt identity × choice. */
export function answerSeed(options: Readonly<SimulatorOptions>, promptDigest: string, index: number): number {
  return hashInts(options.seed, hashString(promptDigest), index);
}

/** Decides the answer's length, text and reasoning split (reasoning is spent first, then text, within the cap). */
export function planOutput(options: Readonly<SimulatorOptions>, request: OutputRequest): OutputPlan {
  const seed = answerSeed(options, request.promptDigest, request.index);
  const reasoning = request.reasoning;
  if (request.cap !== null && reasoning >= request.cap) {
    return { reasoningTokens: request.cap, pieces: [], text: '', truncated: true, tool: null, outputTokens: request.cap };
  }
  if (request.tool !== null) {
    const args = generateArguments(seed, request.tool.schema);
    const tokens = countText(request.tool.name) + countText(args);
    const tool = { name: request.tool.name, arguments: args, tokens };
    return { reasoningTokens: reasoning, pieces: [], text: '', truncated: false, tool, outputTokens: reasoning + tokens };
  }
  const range = options.outputTokens;
  let wanted =
    request.forcedLength ??
    (typeof range === 'number' ? range : pickLength(options.seed, hashString(request.promptDigest) ^ request.index, range.min, range.max));
  let truncated = false;
  if (request.cap !== null && reasoning + wanted > request.cap) {
    wanted = request.cap - reasoning;
    truncated = true;
  }
  const pieces = generatePieces(seed, wanted, !truncated);
  return { reasoningTokens: reasoning, pieces, text: pieces.join(''), truncated, tool: null, outputTokens: reasoning + wanted };
}

const EFFORT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  none: [0, 0],
  minimal: [0, 0],
  low: [1, 4],
  medium: [2, 12],
  high: [8, 32],
  xhigh: [16, 64],
  max: [16, 64],
};

/** Reasoning tokens for an effort level: a deterministic multiple of 64 within the effort's range. */
export function reasoningTokensFor(effort: unknown, options: Readonly<SimulatorOptions>, promptDigest: string, index: number): number {
  const [low, high] = EFFORT_RANGES[typeof effort === 'string' ? effort : 'medium'] ?? EFFORT_RANGES.medium!;
  if (high === 0) return 0;
  return 64 * (low + (hashInts(options.seed, hashString(promptDigest), index, 0x7e) % (high - low + 1)));
}

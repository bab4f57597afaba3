// What the simulator knows about model names. Unknown names are served like any
// OpenAI-compatible server would (echoed back, no reasoning), so unpriced models can be exercised.

// Aliases the real APIs answer with a dated snapshot (price lookups must fall back to the alias).
const SNAPSHOTS: Readonly<Record<string, string>> = {
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4.1': 'gpt-4.1-2025-04-14',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  o3: 'o3-2025-04-16',
  'o4-mini': 'o4-mini-2025-04-16',
  'gpt-5': 'gpt-5-2025-08-07',
  'gpt-5-mini': 'gpt-5-mini-2025-08-07',
  'gpt-5.2': 'gpt-5.2-2025-12-11',
  'gpt-5.4': 'gpt-5.4-2026-03-05',
  'gpt-5.4-mini': 'gpt-5.4-mini-2026-03-17',
  'gpt-5.5': 'gpt-5.5-2026-04-23',
  'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929',
  'claude-haiku-4-5': 'claude-haiku-4-5-20251001',
  'claude-opus-4-1': 'claude-opus-4-1-20250805',
  'claude-opus-4-5': 'claude-opus-4-5-20251101',
};

/** The model name a response reports for a requested model. */
export function servedModelName(requested: string): string {
  return SNAPSHOTS[requested] ?? requested;
}

/** OpenAI models that spend hidden reasoning tokens (o-series, gpt-5 family except chat variants). */
export function isReasoningModel(model: string): boolean {
  if (/^o\d/.test(model)) return true;
  return /^gpt-(\d+)/.test(model) && Number(/^gpt-(\d+)/.exec(model)![1]) >= 5 && !model.includes('-chat');
}

/** Default vector length of an embedding model, or null when unknown. */
export function embeddingDimensionsOf(model: string): number | null {
  if (model.startsWith('text-embedding-3-large')) return 3072;
  if (model.startsWith('text-embedding-3-small') || model.startsWith('text-embedding-ada-002')) return 1536;
  return null;
}

/** Models listed by OpenAI `GET /v1/models`. */
export const OPENAI_MODEL_IDS: readonly string[] = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1',
  'gpt-4.1-mini',
  'o3',
  'o4-mini',
  'gpt-5',
  'gpt-5-mini',
  'gpt-5.2',
  'gpt-5.4',
  'gpt-5.4-mini',
  'gpt-5.5',
  'gpt-5.6',
  'text-embedding-3-small',
  'text-embedding-3-large',
];

/** Models listed by Anthropic `GET /v1/models`, with display names. */
export const ANTHROPIC_MODELS: ReadonlyArray<readonly [id: string, displayName: string]> = [
  ['claude-opus-5', 'Claude Opus 5'],
  ['claude-sonnet-5', 'Claude Sonnet 5'],
  ['claude-opus-4-8', 'Claude Opus 4.8'],
  ['claude-opus-4-7', 'Claude Opus 4.7'],
  ['claude-opus-4-6', 'Claude Opus 4.6'],
  ['claude-sonnet-4-6', 'Claude Sonnet 4.6'],
  ['claude-opus-4-5-20251101', 'Claude Opus 4.5'],
  ['claude-haiku-4-5-20251001', 'Claude Haiku 4.5'],
  ['claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5'],
  ['claude-opus-4-1-20250805', 'Claude Opus 4.1'],
];

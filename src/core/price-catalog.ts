import { scalePrice, usdPerMillionToPicoPerToken, type PicoUsd } from './money.js';
import type { PriceRow, PriceRowData, TokenPrices } from './price-types.js';

/** The shape of prices/catalog.json: a dated version and its rows. */
export interface PriceCatalogDocument {
  version: string;
  rows: PriceRowData[];
}

/** Options of a PriceCatalog. */
export interface PriceCatalogOptions {
  /**
   * When an event predates every known row of its model, false (default) prices it with the earliest
   * row (the catalog records when a price was observed, not when it started); true returns null.
   */
  strictEffectiveDates?: boolean;
}

/** Leading `provider/` segments that name a route rather than a model (`openai/gpt-4o`, `gemini/...`). */
const PROVIDER_PREFIXES = new Set([
  'openai', 'anthropic', 'gemini', 'google', 'vertex_ai', 'groq', 'fireworks_ai', 'fireworks',
  'deepinfra', 'deepseek', 'azure', 'azure_ai', 'openrouter', 'together_ai',
]);

/** Deterministic pick when one name matches rows of several providers and no provider was given. */
const PROVIDER_PREFERENCE = ['openai', 'anthropic', 'google', 'groq', 'fireworks', 'deepinfra', 'deepseek'];

/** Provider names that mean the same catalog provider. */
const PROVIDER_SYNONYMS: Record<string, string> = { gemini: 'google', fireworks_ai: 'fireworks' };

/**
 * Dated snapshots billed differently from their family: they never resolve by the snapshot rule,
 * only by an exact id or alias (gpt-4o-2024-05-13 kept the launch price of $5/$15).
 */
const DISTINCT_SNAPSHOTS = new Set(['gpt-4o-2024-05-13']);

/** Snapshot suffixes that still name the same family: -2024-08-06, -20250929, @20250929, -latest. */
const SNAPSHOT_SUFFIX = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-latest)$/;

const MEMO_LIMIT = 10_000;

interface ModelGroup {
  provider: string;
  model: string;
  /** Versions of the model's price, oldest first. */
  versions: PriceRow[];
}

/** Checks and parses the JSON document of prices/catalog.json (or an override file); throws naming the row and field. */
export function parsePriceCatalogDocument(doc: unknown, origin = 'catalog'): PriceCatalogDocument {
  if (!isObject(doc)) throw new Error(`price ${origin}: expected an object { version, rows }`);
  if (typeof doc.version !== 'string' || doc.version === '') throw new Error(`price ${origin}: "version" must be a non-empty string`);
  if (!Array.isArray(doc.rows)) throw new Error(`price ${origin}: "rows" must be an array`);
  for (const [index, row] of doc.rows.entries()) parsePriceRow(row as PriceRowData, `${origin} row ${index}`);
  return { version: doc.version, rows: doc.rows as PriceRowData[] };
}

/**
 * Validates one row and converts its decimal prices to integer pico-USD per token. A missing cache price
 * never becomes $0: Anthropic rows fall back to the documented multipliers of input (read 0.1x,
 * 5-minute write 1.25x, 1-hour write 2x); other providers bill cache reads and writes as plain input
 * (OpenAI before GPT-5.6 and Gemini implicit caching have no write fee), and a 1-hour write as a 5-minute one.
 */
export function parsePriceRow(data: PriceRowData, origin = 'catalog'): PriceRow {
  if (!isObject(data)) throw new Error(`price ${origin}: row must be an object`);
  const model = data.model;
  if (typeof model !== 'string' || model.trim() === '') throw new Error(`price ${origin}: field "model" must be a non-empty string`);
  const where = `price ${origin}, model "${model}"`;
  const fail = (field: string, why: string): never => {
    throw new Error(`${where}: field "${field}" ${why}`);
  };
  if (typeof data.provider !== 'string' || data.provider === '') fail('provider', 'must be a non-empty string');
  if (data.kind !== 'chat' && data.kind !== 'embedding') fail('kind', 'must be "chat" or "embedding"');
  if (typeof data.source !== 'string' || data.source === '') fail('source', 'must say where the price comes from');
  if (data.aliases !== undefined && (!Array.isArray(data.aliases) || data.aliases.some((a) => typeof a !== 'string' || a === ''))) {
    fail('aliases', 'must be an array of non-empty strings');
  }
  const effectiveFrom = parseIsoDate(data.effectiveFrom);
  if (effectiveFrom === null) fail('effectiveFrom', `must be an ISO date YYYY-MM-DD (got ${JSON.stringify(data.effectiveFrom)})`);
  const price = (field: string, value: unknown): PicoUsd | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') return fail(field, 'must be a decimal string (USD per 1M tokens)');
    try {
      return usdPerMillionToPicoPerToken(value);
    } catch (error) {
      return fail(field, `is invalid: ${(error as Error).message}`);
    }
  };
  const anthropic = data.provider === 'anthropic';
  const fill = (prefix: string, raw: Partial<Record<keyof TokenPrices, unknown>>): TokenPrices => {
    const input = price(`${prefix}input`, raw.input);
    if (input === undefined) return fail(`${prefix}input`, 'is required');
    let output = price(`${prefix}output`, raw.output);
    if (output === undefined) {
      if (data.kind === 'chat') return fail(`${prefix}output`, 'is required for a chat model');
      output = 0; // embeddings generate no tokens
    }
    const cacheRead = price(`${prefix}cacheRead`, raw.cacheRead) ?? (anthropic ? scalePrice(input, 1, 10) : input);
    const cacheWrite5m = price(`${prefix}cacheWrite5m`, raw.cacheWrite5m) ?? (anthropic ? scalePrice(input, 5, 4) : input);
    const cacheWrite1h = price(`${prefix}cacheWrite1h`, raw.cacheWrite1h) ?? (anthropic ? scalePrice(input, 2, 1) : cacheWrite5m);
    return { input, output, cacheRead, cacheWrite5m, cacheWrite1h };
  };
  const prices = fill('', data as unknown as Record<string, unknown>);
  const batchInput = price('batchInput', data.batchInput);
  const batchOutput = price('batchOutput', data.batchOutput);
  if ((batchInput === undefined) !== (batchOutput === undefined) && data.kind === 'chat') {
    fail(batchInput === undefined ? 'batchInput' : 'batchOutput', 'must be given together with its pair');
  }
  const batch = batchInput === undefined ? null : { input: batchInput, output: batchOutput ?? 0 };
  if (data.tiers !== undefined && !Array.isArray(data.tiers)) fail('tiers', 'must be an array');
  const tiers = (data.tiers ?? []).map((tier, index) => {
    if (!isObject(tier)) return fail(`tiers[${index}]`, 'must be an object');
    if (!Number.isSafeInteger(tier.aboveInputTokens) || tier.aboveInputTokens <= 0) {
      return fail(`tiers[${index}].aboveInputTokens`, 'must be a positive integer');
    }
    return { aboveInputTokens: tier.aboveInputTokens, prices: fill(`tiers[${index}].`, tier as Record<string, unknown>) };
  });
  for (let i = 1; i < tiers.length; i++) {
    if (tiers[i]!.aboveInputTokens <= tiers[i - 1]!.aboveInputTokens) fail(`tiers[${i}].aboveInputTokens`, 'must be ascending');
  }
  const count = (field: 'contextWindow' | 'maxOutput' | 'cacheMinTokens'): number | null => {
    const value = data[field];
    if (value === undefined || value === null) return null;
    if (!Number.isSafeInteger(value) || value <= 0) return fail(field, 'must be a positive integer');
    return value;
  };
  return {
    model,
    provider: data.provider,
    kind: data.kind,
    effectiveFrom: effectiveFrom!,
    source: data.source,
    prices,
    batch,
    tiers,
    contextWindow: count('contextWindow'),
    maxOutput: count('maxOutput'),
    cacheMinTokens: count('cacheMinTokens'),
  };
}

/**
 * Prices by model and date. Built once from the catalog rows plus operator overrides (an override
 * replaces the catalog row with the same model and effectiveFrom, or adds a row); immutable after.
 */
export class PriceCatalog {
  readonly #groups: ModelGroup[] = [];
  readonly #exact = new Map<string, ModelGroup[]>();
  readonly #family = new Map<string, ModelGroup[]>();
  readonly #memo = new Map<string, ModelGroup | null>();
  readonly #strict: boolean;

  constructor(rows: readonly PriceRowData[], overrides: readonly PriceRowData[] = [], options: PriceCatalogOptions = {}) {
    this.#strict = options.strictEffectiveDates ?? false;
    const merged = new Map<string, { data: PriceRowData; row: PriceRow }>();
    const load = (list: readonly PriceRowData[], origin: string, replace: boolean): void => {
      list.forEach((data, index) => {
        const row = parsePriceRow(data, `${origin} row ${index}`);
        const key = `${normalize(row.model)}\u0000${row.effectiveFrom}`;
        const replaced = merged.get(key);
        if (replaced && !replace) throw new Error(`price ${origin} row ${index}, model "${row.model}": duplicate row for effectiveFrom ${data.effectiveFrom}`);
        // An override that only restates prices keeps the names the catalog row answered to.
        merged.set(key, { data: replaced && data.aliases === undefined ? { ...data, aliases: replaced.data.aliases } : data, row });
      });
    };
    load(rows, 'catalog', false);
    load(overrides, 'override', true);
    const byModel = new Map<string, ModelGroup>();
    const aliasesByModel = new Map<string, Set<string>>();
    for (const { data, row } of merged.values()) {
      const id = normalize(row.model);
      let group = byModel.get(id);
      if (!group) {
        group = { provider: row.provider, model: row.model, versions: [] };
        byModel.set(id, group);
        aliasesByModel.set(id, new Set([id]));
        this.#groups.push(group);
      } else if (group.provider !== row.provider) {
        throw new Error(`price row for model "${row.model}": field "provider" differs between versions (${group.provider} vs ${row.provider})`);
      }
      group.versions.push(row);
      for (const alias of data.aliases ?? []) aliasesByModel.get(id)!.add(normalize(alias));
    }
    for (const group of this.#groups) group.versions.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
    this.#groups.sort((a, b) => providerRank(a.provider) - providerRank(b.provider) || compare(a.model, b.model));
    for (const group of this.#groups) {
      for (const name of aliasesByModel.get(normalize(group.model))!) {
        addIndex(this.#exact, name, group, true);
        addIndex(this.#family, familyKey(name), group, false);
      }
    }
  }

  /**
   * The price row in force for `model` at `at` (epoch ms): the latest effectiveFrom <= at. Names resolve
   * by exact id or alias, then without a provider prefix, then from a dated snapshot to its family;
   * never by prefix (gpt-4o-mini is not gpt-4o). `provider` breaks ties between providers. Null when unknown.
   */
  resolve(model: string, at: number, provider?: string | null): PriceRow | null {
    const key = `${provider ?? ''}\u0000${model}`;
    let group = this.#memo.get(key);
    if (group === undefined) {
      group = this.#lookup(model, provider ?? null);
      if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear(); // client-chosen names must not grow memory without bound
      this.#memo.set(key, group);
    }
    if (group === null) return null;
    return pickVersion(group.versions, at, this.#strict);
  }

  /** Rows in force at `at` (or the newest row of each model when omitted), ordered by provider then model. */
  models(at?: number): PriceRow[] {
    const out: PriceRow[] = [];
    for (const group of this.#groups) {
      const row = at === undefined ? group.versions[group.versions.length - 1]! : pickVersion(group.versions, at, this.#strict);
      if (row) out.push(row);
    }
    return out;
  }

  #lookup(model: string, provider: string | null): ModelGroup | null {
    const wanted = provider ? (PROVIDER_SYNONYMS[provider.toLowerCase()] ?? provider.toLowerCase()) : null;
    let name = normalize(model);
    const exact = this.#exact.get(name);
    if (exact) return choose(exact, wanted);
    const slash = name.indexOf('/');
    if (slash > 0 && PROVIDER_PREFIXES.has(name.slice(0, slash))) {
      name = name.slice(slash + 1);
      const stripped = this.#exact.get(name);
      if (stripped) return choose(stripped, wanted);
    }
    if (DISTINCT_SNAPSHOTS.has(name)) return null;
    const byFamily = this.#family.get(familyKey(name));
    return byFamily ? choose(byFamily, wanted) : null;
  }
}

/** The family a dated snapshot name belongs to (`gpt-4o-2024-08-06` -> `gpt-4o`); the name itself otherwise. */
export function familyKey(name: string): string {
  return name.replace(SNAPSHOT_SUFFIX, '');
}

function pickVersion(versions: readonly PriceRow[], at: number, strict: boolean): PriceRow | null {
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.effectiveFrom <= at) return versions[i]!;
  return strict ? null : versions[0]!;
}

function choose(groups: readonly ModelGroup[], provider: string | null): ModelGroup {
  if (provider) for (const group of groups) if (group.provider === provider) return group;
  return groups[0]!; // groups are kept in provider-preference order
}

function addIndex(index: Map<string, ModelGroup[]>, name: string, group: ModelGroup, exact: boolean): void {
  const list = index.get(name);
  if (!list) {
    index.set(name, [group]);
    return;
  }
  if (list.includes(group)) return;
  const clash = list.find((other) => other.provider === group.provider);
  if (clash && exact) throw new Error(`price catalog: name "${name}" is claimed by both "${clash.model}" and "${group.model}" (field "aliases")`);
  // Two families of one provider sharing a snapshot family stay ambiguous: the first in order wins, deterministically.
  if (!clash) list.push(group);
}

function normalize(name: string): string {
  return name.trim().toLowerCase();
}

function providerRank(provider: string): number {
  const rank = PROVIDER_PREFERENCE.indexOf(provider);
  return rank === -1 ? PROVIDER_PREFERENCE.length : rank;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseIsoDate(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) return null;
  return ms;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

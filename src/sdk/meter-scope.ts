import { AsyncLocalStorage } from 'node:async_hooks';
import type { Attribution } from '../core/usage-event.js';
import type { AttributionInput, TaskHandle } from './meter-types.js';

/** What the code running now is scoped to: the innermost task and the merged scoped attribution. */
export interface MeterScope {
  task: TaskHandle | null;
  attribution: AttributionInput;
}

/**
 * One store for every meter: a task id is a global name, so a call made inside any meter's task
 * belongs to it, whichever meter's client makes the call.
 */
const storage = new AsyncLocalStorage<MeterScope>();

/** The current scope, or null outside any task or withTags. */
export function currentScope(): MeterScope | null {
  return storage.getStore() ?? null;
}

/** Runs `fn` in a child of the current scope: `attribution` over the parent's, `task` when given. */
export function runInScope<R>(attribution: AttributionInput, task: TaskHandle | null, fn: () => R): R {
  const parent = storage.getStore();
  const scope: MeterScope = {
    task: task ?? parent?.task ?? null,
    attribution: parent ? overlayAttribution(parent.attribution, attribution) : attribution,
  };
  return storage.run(scope, fn);
}

const FIELDS = ['feature', 'tenant', 'user', 'team', 'task', 'template', 'env'] as const;

/** `top` over `base`: a field set in `top` wins; tags merge key by key (top wins). */
export function overlayAttribution(base: AttributionInput, top: AttributionInput): AttributionInput {
  const out: AttributionInput = { ...base };
  for (const field of FIELDS) if (top[field] != null) out[field] = top[field];
  if (top.tags) out.tags = { ...base.tags, ...top.tags };
  return out;
}

/**
 * The attribution of one call from layers, most specific first: each field takes the first layer that
 * sets it; tags merge with the more specific layer winning a key.
 */
export function resolveAttribution(layers: ReadonlyArray<AttributionInput | Attribution | null | undefined>): Attribution {
  const out: Attribution = { feature: null, tenant: null, user: null, team: null, task: null, template: null, env: null, tags: {} };
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (!layer) continue;
    for (const field of FIELDS) if (layer[field] != null) out[field] = layer[field]!;
    if (layer.tags) for (const key in layer.tags) out.tags[key] = layer.tags[key]!;
  }
  return out;
}

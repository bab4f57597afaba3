import type { Ledger } from './ledger.js';
import type { OutcomeStore } from './outcome-store.js';
import { SqliteLedger } from './sqlite/sqlite-ledger.js';
import { SqliteOutcomeStore } from './sqlite/sqlite-outcome-store.js';
import { MemoryOutcomeStore } from './memory/memory-outcome-store.js';

const fallbacks = new WeakMap<Ledger, OutcomeStore>();

/** True when the ledger's engine keeps outcomes in its own database (not a per-process fallback). */
export function hasOutcomeStore(ledger: Ledger): boolean {
  return ledger instanceof SqliteLedger || typeof (ledger as Ledger & { outcomeStore?: unknown }).outcomeStore === 'function';
}

/**
 * The outcome store that lives beside a ledger (same database). An engine exposes its own with an
 * `outcomeStore()` method; one without gets a per-ledger in-memory store (lost on exit).
 */
export function outcomeStoreFor(ledger: Ledger): OutcomeStore {
  if (ledger instanceof SqliteLedger) return new SqliteOutcomeStore(ledger.db);
  const withOutcomes = ledger as Ledger & { outcomeStore?: () => OutcomeStore };
  if (typeof withOutcomes.outcomeStore === 'function') return withOutcomes.outcomeStore();
  let store = fallbacks.get(ledger);
  if (!store) {
    store = new MemoryOutcomeStore();
    fallbacks.set(ledger, store);
  }
  return store;
}

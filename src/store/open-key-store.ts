import type { Ledger } from './ledger.js';
import type { KeyStore } from './key-store.js';
import { SqliteLedger } from './sqlite/sqlite-ledger.js';
import { SqliteKeyStore } from './sqlite/sqlite-key-store.js';
import { MemoryKeyStore } from './memory/memory-key-store.js';

/** The key store that lives beside a ledger (same database). */
export function keyStoreFor(ledger: Ledger): KeyStore {
  if (ledger instanceof SqliteLedger) return new SqliteKeyStore(ledger.db);
  const withKeys = ledger as Ledger & { keyStore?: () => KeyStore };
  if (typeof withKeys.keyStore === 'function') return withKeys.keyStore();
  return new MemoryKeyStore();
}

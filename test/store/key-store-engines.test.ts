import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeyStoreContract } from './key-store-contract.js';
import { MemoryKeyStore } from '../../src/store/memory/memory-key-store.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { keyStoreFor } from '../../src/store/open-key-store.js';
import { dropTestSchemas, freshPostgresLedger } from './postgres-test-db.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-keys-'));
let files = 0;
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropTestSchemas();
});

runKeyStoreContract('memory', async () => ({ store: new MemoryKeyStore(), close: async () => {} }));
runKeyStoreContract('sqlite (keyStoreFor the ledger)', async () => {
  const ledger = SqliteLedger.open(join(dir, `keys-${++files}.db`));
  return { store: keyStoreFor(ledger), close: () => ledger.close() };
});
runKeyStoreContract('postgres (keyStoreFor the ledger, real server)', async () => {
  const ledger = await freshPostgresLedger();
  return { store: keyStoreFor(ledger), close: () => ledger.close() };
});

import { MemoryLedger } from '../../src/store/memory/memory-ledger.js';
import { runLedgerContract } from './ledger-contract.js';

runLedgerContract('memory', async () => new MemoryLedger());

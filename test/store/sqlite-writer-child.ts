// Child process for sqlite-multiprocess.test.ts: appends the shared dataset's batches [start, start + step, ...] to one file.
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { rollupDataset } from './rollup-contract.js';

const [file, start, step] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const { batches } = rollupDataset(4000, 77);
const ledger = SqliteLedger.open(file);
for (let i = start; i < batches.length; i += step) await ledger.append(batches[i]!);
// Every process also re-sends a neighbour's batches: duplicates across processes.
for (let i = (start + 1) % step; i < batches.length; i += step * 2) await ledger.append(batches[i]!);
await ledger.close();

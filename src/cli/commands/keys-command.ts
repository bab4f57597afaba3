import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { createTable } from '../../analysis/terminal-table.js';
import { openLedger } from '../../store/open-ledger.js';
import { keyStoreFor } from '../../store/open-key-store.js';
import { usdToPico, picoToUsdString } from '../../core/money.js';
import { createVirtualKey, hashKey, publicKeyView, VIRTUAL_KEY_PREFIX } from '../../gateway/virtual-keys.js';
import { parsePositiveInt } from '../cli-parsers.js';

/** Parses `50/month` (USD amount / day|week|month). */
export function parseBudget(value: string): { pico: number; period: 'day' | 'week' | 'month' } {
  const match = /^\s*\$?(\d+(?:\.\d+)?)\s*\/\s*(day|week|month)\s*$/.exec(value);
  if (!match) throw new InvalidArgumentError(`"${value}" is not a budget; write AMOUNT/PERIOD in USD, e.g. 50/month (PERIOD: day, week, month)`);
  return { pico: usdToPico(match[1]!), period: match[2] as 'day' | 'week' | 'month' };
}

interface StoreOptions {
  db?: string;
  databaseUrl?: string;
}

const addStoreOptions = (command: Command) =>
  command
    .option('--db <path>', 'SQLite database (env TOKENMETER_DB; default ./.tokenmeter/tokenmeter.db)')
    .option('--database-url <url>', 'Postgres database URL (env TOKENMETER_DATABASE_URL)');

async function withKeyStore<T>(options: StoreOptions, fn: (store: ReturnType<typeof keyStoreFor>) => Promise<T>): Promise<T> {
  const ledger = await openLedger({ db: options.db, databaseUrl: options.databaseUrl ?? process.env.TOKENMETER_DATABASE_URL });
  try {
    return await fn(keyStoreFor(ledger));
  } finally {
    await ledger.close();
  }
}

/** `tokenmeter keys create|revoke|list`: virtual keys, stored hashed, shown once. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage virtual keys (callers use them as their API key; the gateway holds the provider keys)');

  addStoreOptions(keys.command('create'))
    .description('create a virtual key and print it once (only its hash is stored)')
    .requiredOption('--tenant <tenant>', 'tenant the key bills to')
    .option('--team <team>', 'team the key bills to')
    .option('--user <user>', 'user the key belongs to')
    .option('--name <name>', 'a label to recognise the key by')
    .option('--budget <amount/period>', 'hard budget for the key, USD per day|week|month (e.g. 50/month)', parseBudget)
    .option('--rpm <n>', 'requests per minute allowed for the key', parsePositiveInt)
    .option('--json', 'print {"key": ...} as JSON')
    .action(async (options: StoreOptions & { tenant: string; team?: string; user?: string; name?: string; budget?: ReturnType<typeof parseBudget>; rpm?: number; json?: boolean }) => {
      const { key, record } = await withKeyStore(options, (store) =>
        createVirtualKey(store, {
          tenant: options.tenant, team: options.team, user: options.user, name: options.name,
          budgetPico: options.budget?.pico ?? null, budgetPeriod: options.budget?.period ?? null, rpm: options.rpm ?? null,
        }),
      );
      if (options.json) {
        process.stdout.write(JSON.stringify({ key, id: record.id, prefix: record.prefix, tenant: record.tenant, team: record.team, user: record.user }) + '\n');
        return;
      }
      process.stdout.write(`${key}\n`);
      process.stderr.write(`key ${record.prefix}... created for tenant ${record.tenant}${record.budgetPico !== null ? `, budget $${picoToUsdString(record.budgetPico)}/${record.budgetPeriod}` : ''}${record.rpm ? `, ${record.rpm} rpm` : ''}.\nIt is shown only now; store it safely. A running gateway in auth mode "auto" now requires virtual keys.\n`);
    });

  addStoreOptions(keys.command('revoke'))
    .description('revoke a key (by the key itself or by its id)')
    .argument('<key-or-id>', 'the key (tm_...) or its id')
    .action(async (keyOrId: string, options: StoreOptions) => {
      const match = keyOrId.startsWith(VIRTUAL_KEY_PREFIX) ? { hash: hashKey(keyOrId) } : { id: keyOrId };
      const record = await withKeyStore(options, (store) => store.revoke(match, Date.now()));
      if (!record) {
        process.stderr.write('tokenmeter: no such key\n');
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`revoked ${record.prefix}... (${record.id})\n`);
    });

  addStoreOptions(keys.command('list'))
    .description('list keys (never the keys themselves)')
    .option('--json', 'print JSON')
    .action(async (options: StoreOptions & { json?: boolean }) => {
      const records = await withKeyStore(options, (store) => store.list());
      if (options.json) {
        process.stdout.write(JSON.stringify(records.map(publicKeyView)) + '\n');
        return;
      }
      const table = createTable(['prefix', 'id', 'tenant', 'team', 'user', 'budget', 'rpm', 'created', 'status']);
      for (const r of records) {
        table.push([
          `${r.prefix}...`, r.id, r.tenant ?? '', r.team ?? '', r.user ?? '',
          r.budgetPico !== null ? `$${picoToUsdString(r.budgetPico)}/${r.budgetPeriod}` : '', r.rpm ?? '',
          new Date(r.createdAt).toISOString().slice(0, 16), r.revokedAt ? 'revoked' : 'active',
        ]);
      }
      process.stdout.write(table.toString() + '\n');
    });
}

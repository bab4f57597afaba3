import type { Command } from 'commander';
import { createTable } from '../../analysis/terminal-table.js';

interface AdminOptions {
  gateway: string;
  adminToken?: string;
  json?: boolean;
}

async function admin(options: AdminOptions, method: string, path: string, body?: unknown): Promise<any> {
  const token = options.adminToken ?? process.env.TOKENMETER_ADMIN_TOKEN;
  if (!token) throw new Error('no admin token: pass --admin-token or set TOKENMETER_ADMIN_TOKEN (the same value the gateway has)');
  const response = await fetch(`${options.gateway.replace(/\/+$/, '')}/v1/tokenmeter/admin/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((error: Error) => {
    throw new Error(`cannot reach the gateway at ${options.gateway} (${error.message}); is it running?`);
  });
  const payload = (await response.json()) as any;
  if (!response.ok) throw new Error(payload?.error?.message ?? `admin API answered ${response.status}`);
  return payload;
}

const withGateway = (command: Command) =>
  command
    .option('--gateway <url>', 'gateway base URL', process.env.TOKENMETER_GATEWAY_URL ?? 'http://127.0.0.1:4000')
    .option('--admin-token <token>', 'admin token (env TOKENMETER_ADMIN_TOKEN)');

/** `tokenmeter budgets list|raise|reset`: budget state from a running gateway's admin API. */
export function registerBudgetsCommand(program: Command): void {
  const budgets = program.command('budgets').description('show, raise or reset budgets on a running gateway (admin API)');

  withGateway(budgets.command('list'))
    .description('budgets with limit, spent, held, remaining and reset time')
    .option('--value <value>', 'scope value for budgets that apply per tenant/team/... (e.g. a tenant name)')
    .option('--json', 'print JSON')
    .action(async (options: AdminOptions & { value?: string }) => {
      const { data } = await admin(options, 'GET', `budgets${options.value ? `?value=${encodeURIComponent(options.value)}` : ''}`);
      if (options.json) {
        process.stdout.write(JSON.stringify(data) + '\n');
        return;
      }
      const table = createTable(['budget', 'scope', 'value', 'window', 'limit', 'spent', 'held', 'remaining', 'used', 'resets']);
      for (const b of data) {
        const used = b.limit_usd > 0 ? `${Math.round((b.spent_usd / b.limit_usd) * 100)}%` : '';
        table.push([b.id, b.scope, b.value, b.window, `$${b.limit_usd}`, `$${b.spent_usd}`, `$${b.reserved_usd}`, `$${b.remaining_usd}`, used, b.resets_at.slice(0, 16)]);
      }
      process.stdout.write(table.toString() + '\n');
    });

  withGateway(budgets.command('raise'))
    .description('change a budget limit (key budgets are stored; configured ones change until restart)')
    .argument('<budget-id>')
    .argument('<limit-usd>')
    .action(async (id: string, limit: string, options: AdminOptions) => {
      const result = await admin(options, 'POST', `budgets/${encodeURIComponent(id)}/raise`, { limit_usd: limit });
      process.stdout.write(`${id}: limit now $${result.limit_usd}${result.note ? ` (${result.note})` : ''}\n`);
    });

  withGateway(budgets.command('reset'))
    .description("zero a budget's spend for the current window")
    .argument('<budget-id>')
    .option('--value <value>', 'scope value (for per-tenant/team/... budgets)')
    .action(async (id: string, options: AdminOptions & { value?: string }) => {
      await admin(options, 'POST', `budgets/${encodeURIComponent(id)}/reset`, options.value ? { value: options.value } : {});
      process.stdout.write(`${id}${options.value ? ` (${options.value})` : ''}: reset\n`);
    });
}

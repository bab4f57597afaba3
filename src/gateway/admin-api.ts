import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { budgetCounterKeys } from '../core/spend-plan.js';
import { budgetStatus } from '../core/spend-feedback.js';
import { describeWindow } from '../core/budget-window.js';
import { picoToUsdNumber, usdToPico } from '../core/money.js';
import type { BudgetPolicy } from '../core/spend-policy.js';
import { GatewayError, renderErrorBody } from './error-catalog.js';
import type { GatewayContext } from './gateway-context.js';
import { readBody } from './read-body.js';
import { createVirtualKey, publicKeyView } from './virtual-keys.js';

/** Every admin route starts with this. */
export const ADMIN_PREFIX = '/v1/tokenmeter/admin/';

const createKeyBody = z.strictObject({
  tenant: z.string().min(1),
  team: z.string().optional(),
  user: z.string().optional(),
  name: z.string().optional(),
  budget_usd: z.union([z.string(), z.number()]).optional(),
  budget_period: z.enum(['day', 'week', 'month']).default('month'),
  rpm: z.number().int().positive().optional(),
});
const raiseBody = z.strictObject({ limit_usd: z.union([z.string(), z.number()]), value: z.string().optional() });
const resetBody = z.strictObject({ value: z.string().optional() });

/**
 * The admin API (JSON, OpenAI error shape): budgets with spent/remaining/reset, raise or reset one;
 * keys list/create/revoke. Protected by the token in the env var named by auth.adminTokenEnv.
 */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, ctx: GatewayContext): Promise<void> {
  try {
    authorize(req, ctx);
    const url = new URL(req.url ?? '/', 'http://admin');
    const parts = url.pathname.slice(ADMIN_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const now = Date.now();
    if (parts[0] === 'budgets' && parts.length === 1 && method === 'GET') return send(res, 200, { data: await listBudgets(ctx, now, url.searchParams.get('value')) });
    if (parts[0] === 'budgets' && parts.length === 3 && method === 'POST') {
      const body = await jsonBody(req, ctx);
      if (parts[2] === 'reset') return send(res, 200, await resetBudget(ctx, parts[1]!, parse(resetBody, body).value ?? null, now));
      if (parts[2] === 'raise') return send(res, 200, await raiseBudget(ctx, parts[1]!, parse(raiseBody, body)));
    }
    if (parts[0] === 'keys' && parts.length === 1 && method === 'GET') return send(res, 200, { data: (await ctx.keys.list()).map(publicKeyView) });
    if (parts[0] === 'keys' && parts.length === 1 && method === 'POST') {
      const body = parse(createKeyBody, await jsonBody(req, ctx));
      const { key, record } = await createVirtualKey(ctx.keys, {
        tenant: body.tenant, team: body.team, user: body.user, name: body.name, rpm: body.rpm,
        budgetPico: body.budget_usd !== undefined ? usdToPico(body.budget_usd) : null,
        budgetPeriod: body.budget_usd !== undefined ? body.budget_period : null,
      });
      return send(res, 201, { key, ...publicKeyView(record) });
    }
    if (parts[0] === 'keys' && parts.length === 2 && method === 'DELETE') {
      const record = await ctx.keys.revoke({ id: parts[1]! }, now);
      if (!record) throw new GatewayError('route_not_found', `no key with id ${parts[1]}`);
      ctx.auth.forget(record.hash);
      return send(res, 200, publicKeyView(record));
    }
    throw new GatewayError('route_not_found', `no admin route ${method} ${url.pathname}; see GET ${ADMIN_PREFIX}budgets and ${ADMIN_PREFIX}keys`);
  } catch (error) {
    const e = error instanceof GatewayError ? error : new GatewayError('invalid_request', (error as Error).message);
    const body = renderErrorBody('openai', e.code, e.message, e.param);
    res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

function authorize(req: IncomingMessage, ctx: GatewayContext): void {
  const expected = process.env[ctx.config.auth.adminTokenEnv];
  if (!expected) throw new GatewayError('admin_unauthorized', `the admin API is disabled: set ${ctx.config.auth.adminTokenEnv} in the gateway's environment`);
  const given = (req.headers.authorization ?? '').replace(/^bearer\s+/i, '');
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new GatewayError('admin_unauthorized', 'missing or wrong admin token (Authorization: Bearer <token>)');
}

interface BudgetView {
  id: string;
  scope: string;
  value: string;
  mode: string;
  window: string;
  limit_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  resets_at: string;
}

/** Budgets with their state: configured ones with a fixed scope value (or `?value=`), and key budgets. */
async function listBudgets(ctx: GatewayContext, now: number, value: string | null): Promise<BudgetView[]> {
  const out: BudgetView[] = [];
  const add = async (policy: BudgetPolicy, scopeValue: string) => {
    const { key, priorKeys } = budgetCounterKeys(policy, scopeValue, now);
    const state = await ctx.spend.counters.get(key, now, priorKeys);
    const status = budgetStatus(policy, scopeValue, now, state);
    out.push({
      id: policy.id, scope: policy.scope.kind, value: scopeValue, mode: policy.mode, window: describeWindow(policy.window),
      limit_usd: picoToUsdNumber(status.limitPico), spent_usd: picoToUsdNumber(status.spentPico), reserved_usd: picoToUsdNumber(status.reservedPico),
      remaining_usd: picoToUsdNumber(status.remainingPico), resets_at: new Date(status.resetAt).toISOString(),
    });
  };
  for (const policy of ctx.spend.policies.budgets) {
    const fixed = policy.scope.kind === 'global' ? '*' : policy.scope.value ?? value;
    if (fixed) await add(policy, fixed);
  }
  for (const record of await ctx.keys.list()) {
    if (record.revokedAt !== null || record.budgetPico === null) continue;
    const policy = ctx.spend.policiesFor(record).budgets.find((b) => b.scope.kind === 'key' && b.scope.value === record.id);
    if (policy) await add(policy, record.id);
  }
  return out;
}

/** A configured budget by id; key budgets (`key-<prefix>`) are found by `keyBudget`. */
function configuredBudget(ctx: GatewayContext, id: string): BudgetPolicy {
  const configured = ctx.spend.policies.budgets.find((b) => b.id === id);
  if (!configured) throw new GatewayError('route_not_found', `no budget "${id}" (key budgets are addressed as key-<prefix>)`);
  return configured;
}

async function keyBudget(ctx: GatewayContext, id: string) {
  const record = (await ctx.keys.list()).find((k) => `key-${k.prefix}` === id);
  if (!record || record.budgetPico === null) return null;
  const policy = ctx.spend.policiesFor(record).budgets.find((b) => b.id === id)!;
  return { record, policy };
}

async function resetBudget(ctx: GatewayContext, id: string, value: string | null, now: number) {
  const keyed = await keyBudget(ctx, id);
  const policy = keyed?.policy ?? configuredBudget(ctx, id);
  const scopeValue = keyed ? keyed.record.id : policy.scope.kind === 'global' ? '*' : policy.scope.value ?? value;
  if (!scopeValue) throw new GatewayError('invalid_request', `budget "${id}" applies per ${policy.scope.kind}: pass {"value": "<${policy.scope.kind}>"}`, 'value');
  const { key } = budgetCounterKeys(policy, scopeValue, now);
  await ctx.spend.counters.reset(key);
  return { id, value: scopeValue, reset: true };
}

async function raiseBudget(ctx: GatewayContext, id: string, body: z.infer<typeof raiseBody>) {
  const limitPico = usdToPico(body.limit_usd);
  const keyed = await keyBudget(ctx, id);
  if (keyed) {
    await ctx.keys.updateLimits(keyed.record.id, { budgetPico: limitPico });
    ctx.auth.forget(keyed.record.hash);
    return { id, limit_usd: picoToUsdNumber(limitPico), scope: 'key', stored: true };
  }
  configuredBudget(ctx, id);
  ctx.spend.setBudgetLimit(id, limitPico);
  ctx.log.warn('budget limit changed at run time (this process only; change tokenmeter.yaml to keep it)', { policy: id, limit_usd: picoToUsdNumber(limitPico) });
  return { id, limit_usd: picoToUsdNumber(limitPico), stored: false, note: 'changed in this gateway process until restart; update tokenmeter.yaml to keep it (and on other replicas)' };
}

async function jsonBody(req: IncomingMessage, ctx: GatewayContext): Promise<unknown> {
  const raw = await readBody(req, ctx.config.server.bodyLimitBytes);
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_json', 'request body is not valid JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new GatewayError('invalid_request', `${issue.path.join('.') || 'body'}: ${issue.message}`, issue.path.join('.') || null);
  }
  return result.data;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

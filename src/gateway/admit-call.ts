import type { IncomingMessage } from 'node:http';
import { GatewayError } from './error-catalog.js';
import type { GatewayContext } from './gateway-context.js';
import type { CallState } from './call-state.js';

/**
 * Authenticates the caller (virtual keys) and runs spend control: caps, rate limits, budget
 * reservation. Applies what they decided to the request (reroute, output cap); throws a denial.
 */
export async function admit(req: IncomingMessage, call: CallState, ctx: GatewayContext): Promise<void> {
  const key = await ctx.auth.authenticate(req.headers, call.route.family, call.ts);
  if (key) {
    call.key = key;
    const attribution = call.record.attribution;
    // The key decides who pays; headers cannot claim another tenant.
    if (key.tenant) attribution.tenant = key.tenant;
    if (key.team) attribution.team = key.team;
    if (key.user) attribution.user = key.user;
    if (!ctx.serverKeys[call.route.family]) {
      throw new GatewayError('provider_key_missing', `no ${call.route.family} provider key is configured on the gateway; set ${call.route.family === 'openai' ? ctx.config.providers.openai.apiKeyEnv : ctx.config.providers.anthropic.apiKeyEnv} in its environment`);
    }
  }
  const policies = ctx.spend.policiesFor(key);
  if (policies === ctx.spend.policies && !ctx.spend.active) return;
  const ticket = await ctx.spend.preflight(
    {
      subject: { attribution: call.record.attribution, keyId: key?.id ?? null, model: call.info.model },
      provider: call.route.family,
      endpoint: call.route.endpoint,
      bodySource: call,
      rawBodyLength: call.rawBody.length,
      mayWriteCache: call.route.family === 'anthropic' ? call.rawBody.includes('cache_control') : true,
      maxOutputTokens: call.info.maxOutputTokens,
      choices: call.info.choices,
    },
    policies,
    call.ts,
  );
  call.ticket = ticket;
  if (ticket.rerouteTo) {
    call.body.model = ticket.rerouteTo;
    call.bodyChanged = true;
  }
  if (ticket.maxOutputTokens !== null && call.adapter.setMaxOutputTokens) {
    call.adapter.setMaxOutputTokens(call.body, ticket.maxOutputTokens);
    call.bodyChanged = true;
  }
}

import { registerTokenmeterApi } from '../../src/gateway/ingest-api.js';
import { outcomeStoreFor } from '../../src/store/open-outcome-store.js';
import type { Ledger, TimeRange } from '../../src/store/ledger.js';
import type { UsageEvent } from '../../src/core/usage-event.js';
import { startStack, type Stack, type StackOptions } from '../support/stack.js';

/** A simulator + gateway stack with the tokenmeter ingest API enabled on the gateway. */
export async function startSdkStack(options: StackOptions = {}): Promise<Stack> {
  const stack = await startStack({ ...options, simulator: { retryAfterMs: 5, ...options.simulator } });
  registerTokenmeterApi(stack.gateway.context, { ledger: stack.gateway.ledger, outcomes: outcomeStoreFor(stack.gateway.ledger) });
  return stack;
}

/** Every event of a ledger, oldest first. */
export async function allEvents(ledger: Ledger, range: TimeRange = { since: 0, until: Date.now() + 60_000 }): Promise<UsageEvent[]> {
  const out: UsageEvent[] = [];
  for await (const event of ledger.events(range)) out.push(event);
  return out;
}

/** The fields that must agree when one call is metered two ways (gateway vs SDK). */
export function meteredFacts(event: UsageEvent) {
  return {
    provider: event.provider, endpoint: event.endpoint, requestedModel: event.requestedModel, servedModel: event.servedModel,
    pricedModel: event.pricedModel, status: event.status, errorType: event.errorType, stream: event.stream,
    serviceTier: event.serviceTier, usage: event.usage, rawUsage: event.rawUsage, estimated: event.estimated, cost: event.cost,
    attribution: event.attribution, attempt: event.attempt, footprint: event.footprint,
  };
}

import { randomUUID } from 'node:crypto';
import { buildUsageEvent } from '../core/usage-event-builder.js';
import type { UsageEvent } from '../core/usage-event.js';
import { existingEventIds } from '../store/task-rollup.js';
import type { OutcomeRecord } from '../store/outcome-store.js';
import { checkIngestRecord, ingestRecordToCallRecord, type FieldError, type IngestRecord } from '../sdk/ingest-record.js';
import { checkOutcome } from '../sdk/outcome-input.js';
import { GatewayError } from './error-catalog.js';
import type { GatewayContext } from './gateway-context.js';
import type { IngestPrincipal } from './ingest-auth.js';
import type { TokenmeterApiDeps } from './ingest-api.js';

/** The API's state per gateway: its stores, and ids being written right now (two racing POSTs of one id). */
export interface IngestState extends TokenmeterApiDeps {
  inFlight: Set<string>;
}

/** Records or outcomes per request; larger sets must be split (the body limit applies too). */
export const MAX_ITEMS_PER_REQUEST = 10_000;

/** A record refused, by its position in the request. */
export interface RejectedItem {
  index: number;
  id: string | null;
  errors: FieldError[];
}

/** Answer of both endpoints: which ids were stored now, which were already stored, which were refused. */
export interface IngestAnswer {
  accepted: string[];
  duplicates: string[];
  rejected: RejectedItem[];
  /** Accepted events whose provider/model has no price: stored without a cost (never $0). */
  unpriced?: string[];
  /** Fields ignored (unknown to this gateway), per record. */
  warnings?: Array<{ index: number; id: string | null } & FieldError>;
  /** Present when nothing valid came in (status 400), in the OpenAI error shape. */
  error?: { message: string; type: string; param: string | null; code: string };
}

/** The items of a body: an array, `{ [key]: [...] }`, or one item. */
function itemsOf(body: unknown, key: 'events' | 'outcomes'): unknown[] {
  let items: unknown[];
  if (Array.isArray(body)) items = body;
  else if (body !== null && typeof body === 'object' && Array.isArray((body as Record<string, unknown>)[key])) items = (body as Record<string, unknown[]>)[key]!;
  else if (body !== null && typeof body === 'object' && !(key in body)) items = [body];
  else throw new GatewayError('invalid_request', `expected one ${key === 'events' ? 'record' : 'outcome'}, an array of them, or { "${key}": [...] }`, key);
  if (items.length === 0) throw new GatewayError('invalid_request', `no ${key} in the request`, key);
  if (items.length > MAX_ITEMS_PER_REQUEST) {
    throw new GatewayError('invalid_request', `${items.length} ${key} in one request; send at most ${MAX_ITEMS_PER_REQUEST} per request`, key);
  }
  return items;
}

/** 200 when anything valid came in, else 400 with an error naming the first bad field. */
function finish(answer: IngestAnswer): { status: number; body: IngestAnswer } {
  if (answer.accepted.length + answer.duplicates.length > 0) return { status: 200, body: answer };
  const first = answer.rejected[0];
  const field = first?.errors[0];
  const where = first ? `${first.index}${first.id ? ` (id "${first.id}")` : ''}` : '';
  answer.error = {
    message: `no valid item: item ${where} has ${field?.field}: ${field?.message}${answer.rejected.length > 1 ? ` (and ${answer.rejected.length - 1} more rejected; see "rejected")` : ''}`,
    type: 'invalid_request_error',
    param: field ? `${first!.index}.${field.field}` : null,
    code: 'invalid_request',
  };
  return { status: 400, body: answer };
}

/** POST /v1/tokenmeter/events: validates, normalizes and prices each record like a proxied call; idempotent by id. */
export async function ingestEvents(state: IngestState, body: unknown, ctx: GatewayContext, principal: IngestPrincipal, now: number) {
  const items = itemsOf(body, 'events');
  const answer: IngestAnswer = { accepted: [], duplicates: [], rejected: [], unpriced: [] };
  const valid: IngestRecord[] = [];
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const check = checkIngestRecord(item);
    if (!check.ok) {
      answer.rejected.push({ index, id: check.id, errors: check.errors });
      return;
    }
    const { id } = check.record;
    for (const warning of check.warnings) (answer.warnings ??= []).push({ index, id, ...warning });
    if (seen.has(id)) answer.duplicates.push(id);
    else {
      seen.add(id);
      valid.push(check.record);
    }
  });
  const existing = await existingEventIds(state.ledger, valid.map((record) => record.id));
  const events: UsageEvent[] = [];
  for (const record of valid) {
    // Checked and claimed with no await in between, so two racing requests cannot both accept an id.
    if (existing.has(record.id) || state.inFlight.has(record.id)) {
      answer.duplicates.push(record.id);
      continue;
    }
    state.inFlight.add(record.id);
    const call = ingestRecordToCallRecord(record, now);
    if (principal.kind === 'key') {
      // The key decides who pays; a record cannot claim another tenant.
      const { key } = principal;
      if (key.tenant) call.attribution.tenant = key.tenant;
      if (key.team) call.attribution.team = key.team;
      if (key.user) call.attribution.user = key.user;
    }
    events.push(buildUsageEvent(call, ctx.catalog));
  }
  try {
    if (events.length > 0) await state.ledger.append(events);
  } finally {
    for (const event of events) state.inFlight.delete(event.id);
  }
  for (const event of events) {
    answer.accepted.push(event.id);
    if (event.cost === null) answer.unpriced!.push(event.id);
  }
  return finish(answer);
}

/** POST /v1/tokenmeter/outcomes: what tasks achieved; idempotent by id when the client sends one. */
export async function ingestOutcomes(state: IngestState, body: unknown, _ctx: GatewayContext, _principal: IngestPrincipal, now: number) {
  const items = itemsOf(body, 'outcomes');
  const answer: IngestAnswer = { accepted: [], duplicates: [], rejected: [] };
  const valid: OutcomeRecord[] = [];
  items.forEach((item, index) => {
    const check = checkOutcome(item, now, randomUUID);
    if (check.ok) valid.push(check.outcome);
    else answer.rejected.push({ index, id: check.id, errors: check.errors });
  });
  const inserted = await state.outcomes.append(valid);
  for (const outcome of valid) (inserted.has(outcome.id) ? answer.accepted : answer.duplicates).push(outcome.id);
  return finish(answer);
}

import { z } from 'zod';
import type { OutcomeRecord } from '../store/outcome-store.js';
import { fieldErrors, type FieldError } from './ingest-record.js';

/** One outcome of POST /v1/tokenmeter/outcomes (and `meter.outcome()`). */
export const outcomeInputSchema = z.object({
  /** Idempotency id; without one a retried POST stores the outcome twice (harmless: the latest decides). */
  id: z.string().min(1).max(200).optional(),
  task: z.string().min(1).max(256),
  name: z.string().trim().min(1).max(128),
  success: z.boolean(),
  value: z.number().finite().nullable().optional(),
  ts: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]).optional(),
});

/** An outcome as sent. */
export type OutcomeInput = z.input<typeof outcomeInputSchema>;

/** Result of validating one outcome. */
export type OutcomeCheck = { ok: true; outcome: OutcomeRecord } | { ok: false; id: string | null; errors: FieldError[] };

/** Validates one outcome; `newId` names outcomes sent without an id. */
export function checkOutcome(input: unknown, now: number, newId: () => string): OutcomeCheck {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, id: null, errors: [{ field: '(outcome)', message: 'expected a JSON object' }] };
  }
  const result = outcomeInputSchema.safeParse(input);
  if (!result.success) {
    const rawId = (input as { id?: unknown }).id;
    return { ok: false, id: typeof rawId === 'string' ? rawId : null, errors: fieldErrors(result.error) };
  }
  const o = result.data;
  return {
    ok: true,
    outcome: {
      id: o.id ?? newId(),
      task: o.task,
      name: o.name,
      success: o.success,
      value: o.value ?? null,
      ts: o.ts === undefined ? now : typeof o.ts === 'number' ? o.ts : Date.parse(o.ts),
    },
  };
}

/** What a task achieved, reported by the application (possibly hours after the task's calls). */
export interface OutcomeRecord {
  /** Idempotency key: an outcome id stored twice is stored once. */
  id: string;
  /** The task id the calls carried (x-tokenmeter-task, SDK task). */
  task: string;
  /** What was achieved, e.g. `ticket_resolved`. */
  name: string;
  success: boolean;
  /** An application metric (revenue, items handled); stored, never summed as money. */
  value: number | null;
  /** When the outcome happened, epoch ms. */
  ts: number;
}

/**
 * Where outcomes live (the ledger's database). When a task has several outcomes of one name, the
 * latest (by ts, then id) decides, so a later correction wins.
 */
export interface OutcomeStore {
  /** Stores outcomes; ids already present are skipped. Returns the ids that were new. */
  append(outcomes: readonly OutcomeRecord[]): Promise<Set<string>>;
  /** The deciding (latest) outcome named `name` of each given task that has one. */
  latestForTasks(name: string, tasks: readonly string[]): Promise<Map<string, OutcomeRecord>>;
  /** Every outcome of one task, oldest first. */
  forTask(task: string): Promise<OutcomeRecord[]>;
}

/** True when `a` supersedes `b` as the deciding outcome (later ts, then larger id). */
export function isLaterOutcome(a: OutcomeRecord, b: OutcomeRecord): boolean {
  return a.ts !== b.ts ? a.ts > b.ts : a.id > b.id;
}

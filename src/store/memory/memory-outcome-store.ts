import { isLaterOutcome, type OutcomeRecord, type OutcomeStore } from '../outcome-store.js';

/** Outcomes in process memory (tests, memory ledgers). */
export class MemoryOutcomeStore implements OutcomeStore {
  private readonly byId = new Map<string, OutcomeRecord>();
  private readonly byTask = new Map<string, OutcomeRecord[]>();

  async append(outcomes: readonly OutcomeRecord[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (const outcome of outcomes) {
      if (this.byId.has(outcome.id)) continue;
      const copy = { ...outcome };
      this.byId.set(copy.id, copy);
      const list = this.byTask.get(copy.task);
      if (list) list.push(copy);
      else this.byTask.set(copy.task, [copy]);
      inserted.add(copy.id);
    }
    return inserted;
  }

  async latestForTasks(name: string, tasks: readonly string[]): Promise<Map<string, OutcomeRecord>> {
    const latest = new Map<string, OutcomeRecord>();
    for (const task of tasks) {
      for (const outcome of this.byTask.get(task) ?? []) {
        if (outcome.name !== name) continue;
        const current = latest.get(task);
        if (!current || isLaterOutcome(outcome, current)) latest.set(task, outcome);
      }
    }
    for (const [task, outcome] of latest) latest.set(task, { ...outcome });
    return latest;
  }

  async forTask(task: string): Promise<OutcomeRecord[]> {
    return (this.byTask.get(task) ?? []).map((o) => ({ ...o })).sort((a, b) => (isLaterOutcome(a, b) ? 1 : -1));
  }
}

import type { UsageEvent } from '../../core/usage-event.js';
import { totalInputTokens } from '../../core/usage.js';
import type { Ledger, ReportQuery, ReportRow, TaskRollupQuery, TaskRollupRow, TimeRange, UnpricedRow } from '../ledger.js';
import { eventReportKey, isErrorEvent, p95Rank, sortAndLimitReport } from '../report-rows.js';
import { TaskRollupAccumulator } from '../task-rollup.js';
import { MemoryOutcomeStore } from './memory-outcome-store.js';

/** Deep copy, so callers mutating an event after append (or after reading) cannot change the ledger. */
function copyEvent(event: UsageEvent): UsageEvent {
  return {
    ...event,
    usage: { ...event.usage },
    cost: event.cost ? { ...event.cost } : null,
    attribution: { ...event.attribution, tags: { ...event.attribution.tags } },
    footprint: event.footprint ? { ...event.footprint } : null,
  };
}

function byTimeThenId(a: UsageEvent, b: UsageEvent): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The Ledger contract held in process memory: for tests and for the SDK without a database.
 * Reads scan every event (no indexes); fine up to a few hundred thousand events.
 */
export class MemoryLedger implements Ledger {
  readonly kind = 'memory';
  private readonly byId = new Map<string, UsageEvent>();
  private outcomes: MemoryOutcomeStore | null = null;
  private closed = false;

  /** Stores copies; ids already present are skipped. */
  async append(events: readonly UsageEvent[]): Promise<void> {
    this.assertOpen();
    for (const event of events) if (!this.byId.has(event.id)) this.byId.set(event.id, copyEvent(event));
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    this.assertOpen();
    const groups = new Map<string | null, { row: ReportRow; inputs: number[] }>();
    for (const event of this.inRange(query)) {
      const key = eventReportKey(event, query.by);
      let group = groups.get(key);
      if (!group) {
        group = { row: emptyRow(key), inputs: [] };
        groups.set(key, group);
      }
      const { row } = group;
      const { usage } = event;
      const input = totalInputTokens(usage);
      row.requests += 1;
      if (isErrorEvent(event)) row.errors += 1;
      row.inputTokens += input;
      row.outputTokens += usage.output;
      row.cachedTokens += usage.cacheRead;
      row.cacheWriteTokens += usage.cacheWrite5m + usage.cacheWrite1h;
      row.reasoningTokens += usage.reasoning;
      if (event.cost) row.costPico += BigInt(event.cost.total);
      else row.unpricedRequests += 1;
      if (event.estimated) row.estimatedRequests += 1;
      group.inputs.push(input);
    }
    const rows: ReportRow[] = [];
    for (const { row, inputs } of groups.values()) {
      inputs.sort((a, b) => a - b);
      row.p95InputTokens = inputs[p95Rank(inputs.length) - 1] ?? 0;
      rows.push(row);
    }
    return sortAndLimitReport(rows, query.limit);
  }

  async unpriced(range: TimeRange): Promise<UnpricedRow[]> {
    this.assertOpen();
    const groups = new Map<string, UnpricedRow>();
    for (const event of this.inRange(range)) {
      if (event.cost) continue;
      const model = event.servedModel ?? event.requestedModel;
      const id = JSON.stringify([event.provider, model]);
      let row = groups.get(id);
      if (!row) {
        row = { provider: event.provider, model, requests: 0, inputTokens: 0, outputTokens: 0, firstSeen: event.ts, lastSeen: event.ts };
        groups.set(id, row);
      }
      row.requests += 1;
      row.inputTokens += totalInputTokens(event.usage);
      row.outputTokens += event.usage.output;
      row.firstSeen = Math.min(row.firstSeen, event.ts);
      row.lastSeen = Math.max(row.lastSeen, event.ts);
    }
    return [...groups.values()].sort((a, b) =>
      b.requests - a.requests || compareText(a.provider, b.provider) || compareText(a.model, b.model));
  }

  /** Events of [since, until) ordered by (ts, id); a snapshot taken at the first read. */
  async *events(range: TimeRange): AsyncIterable<UsageEvent> {
    this.assertOpen();
    const selected = [...this.inRange(range)].sort(byTimeThenId);
    for (const event of selected) yield copyEvent(event);
  }

  async count(range: TimeRange): Promise<number> {
    this.assertOpen();
    let n = 0;
    for (const _ of this.inRange(range)) n += 1;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The outcome store of this ledger (see outcomeStoreFor). */
  outcomeStore(): MemoryOutcomeStore {
    return (this.outcomes ??= new MemoryOutcomeStore());
  }

  /** The ids among `ids` already stored. */
  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    this.assertOpen();
    const found = new Set<string>();
    for (const id of ids) if (this.byId.has(id)) found.add(id);
    return found;
  }

  /** Calls grouped by (dimension key, task); see TaskRollupAccumulator for the semantics. */
  async taskRollup(query: TaskRollupQuery): Promise<TaskRollupRow[]> {
    this.assertOpen();
    const accumulator = new TaskRollupAccumulator(query.by);
    for (const event of this.inRange(query)) accumulator.add(event);
    return accumulator.result();
  }

  private *inRange(range: TimeRange): Iterable<UsageEvent> {
    for (const event of this.byId.values()) if (event.ts >= range.since && event.ts < range.until) yield event;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the memory ledger is closed');
  }
}

function emptyRow(key: string | null): ReportRow {
  return {
    key, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, cacheWriteTokens: 0,
    reasoningTokens: 0, costPico: 0n, unpricedRequests: 0, estimatedRequests: 0, p95InputTokens: 0,
  };
}

/** Null sorts first, like SQLite's ORDER BY on a NULL column. */
function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

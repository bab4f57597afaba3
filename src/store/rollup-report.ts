import type { ReportRow } from './ledger.js';
import { sortAndLimitReport } from './report-rows.js';
import { addCell, sketchPercentile, type SketchCells } from './rollup-sketch.js';

/** Sums of one report group from one source (rollup rows or raw events); money exact. */
export type ReportPart = Omit<ReportRow, 'key' | 'p95InputTokens'>;

interface Group {
  row: ReportRow;
  cells: SketchCells;
}

/**
 * Adds report parts from several sources (day rows, hour rows, raw edges) into one row per key,
 * with p95 input tokens read from the merged token sketch (see rollup-sketch.ts for its error bound).
 */
export class ReportMerger {
  private readonly groups = new Map<string | null, Group>();

  /** Adds sums to a group; `sign` -1 subtracts them (a day row minus the hours outside the range). */
  add(key: string | null, part: ReportPart, sign: 1 | -1 = 1): void {
    const { row } = this.group(key);
    row.requests += sign * part.requests;
    row.errors += sign * part.errors;
    row.inputTokens += sign * part.inputTokens;
    row.outputTokens += sign * part.outputTokens;
    row.cachedTokens += sign * part.cachedTokens;
    row.cacheWriteTokens += sign * part.cacheWriteTokens;
    row.reasoningTokens += sign * part.reasoningTokens;
    row.costPico += sign === 1 ? part.costPico : -part.costPico;
    row.unpricedRequests += sign * part.unpricedRequests;
    row.estimatedRequests += sign * part.estimatedRequests;
  }

  /** Adds sketch counts to a group. */
  addCell(key: string | null, cell: number, count: number): void {
    addCell(this.group(key).cells, cell, count);
  }

  /** Adds (or with `sign` -1 subtracts) a whole sketch to a group. */
  addCells(key: string | null, cells: SketchCells, sign: 1 | -1 = 1): void {
    const group = this.group(key);
    for (const [cell, count] of cells) addCell(group.cells, cell, sign * count);
  }

  /** Keys seen so far. */
  keys(): Array<string | null> {
    return [...this.groups.keys()];
  }

  /** The rows, ordered and limited like every report (sortAndLimitReport), p95 filled in. */
  rows(limit?: number): ReportRow[] {
    const rows: ReportRow[] = [];
    for (const { row, cells } of this.groups.values()) {
      if (row.requests === 0) continue;
      row.p95InputTokens = sketchPercentile(cells, 0.95);
      rows.push(row);
    }
    return sortAndLimitReport(rows, limit);
  }

  /** The rows ordered and limited, without p95 yet (to fetch sketches only for the keys shown). */
  sortedWithoutP95(limit?: number): ReportRow[] {
    return sortAndLimitReport([...this.groups.values()].filter((g) => g.row.requests > 0).map((g) => g.row), limit);
  }

  /** Fills p95 of the given rows from their groups' sketches. */
  fillP95(rows: ReportRow[]): ReportRow[] {
    for (const row of rows) row.p95InputTokens = sketchPercentile(this.groups.get(row.key)?.cells ?? new Map(), 0.95);
    return rows;
  }

  private group(key: string | null): Group {
    let group = this.groups.get(key);
    if (!group) {
      group = {
        row: {
          key, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, cacheWriteTokens: 0,
          reasoningTokens: 0, costPico: 0n, unpricedRequests: 0, estimatedRequests: 0, p95InputTokens: 0,
        },
        cells: new Map(),
      };
      this.groups.set(key, group);
    }
    return group;
  }
}

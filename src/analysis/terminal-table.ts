import Table from 'cli-table3';

/** Box-drawing without lines between rows: reports stay one line per group and fit a screen. */
const COMPACT_CHARS = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** A terminal table with a header rule, no rules between rows and no colours (output may be piped). */
export function createTable(head: string[], colAligns?: Array<'left' | 'right' | 'center'>): Table.Table {
  return new Table({ head, ...(colAligns ? { colAligns } : {}), chars: COMPACT_CHARS, style: { head: [], border: [] } });
}

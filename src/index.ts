/**
 * tokenmeter's package entry: the in-process SDK (`createMeter`) and the types it speaks.
 * The gateway and CLI are started with the `tokenmeter` command.
 */
export * from './sdk/index.js';
export type { Attribution, Endpoint, UsageEvent } from './core/usage-event.js';
export type { Usage } from './core/usage.js';
export type { CostBreakdown, PriceRowData } from './core/price-types.js';
export type { Ledger, ReportDimension, ReportRow, TaskRollupRow } from './store/ledger.js';
export type { OutcomeRecord, OutcomeStore } from './store/outcome-store.js';
export { picoToUsdString } from './core/money.js';

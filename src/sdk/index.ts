/** In-process metering of official OpenAI / Anthropic clients, `record()` for calls made elsewhere, tasks and outcomes. */
export { createMeter } from './create-meter.js';
export { MeterRecordError } from './meter.js';
export { GatewayIngestError } from './gateway-sink.js';
export { attributionHeaders } from './attribution-headers.js';
export type {
  AttributionInput, FetchLike, Meter, MeterableClient, MeterOptions, MeterStats, MeterTarget, MeterTuning,
  OutcomeReport, RecordInput, TaskHandle, TaskOptions,
} from './meter-types.js';
export type { IngestRecordInput, FieldError } from './ingest-record.js';
export type { OutcomeInput } from './outcome-input.js';

import { newEventId } from '../store/event-id.js';
import { checkIngestRecord, ingestRecordToCallRecord, type FieldError } from './ingest-record.js';
import { createMeteredFetch } from './metered-fetch.js';
import type { MeterSink } from './meter-sink.js';
import { currentScope, overlayAttribution, resolveAttribution, runInScope } from './meter-scope.js';
import type {
  AttributionInput, FetchLike, Meter, MeterableClient, MeterStats, OutcomeReport, RecordInput, TaskHandle, TaskOptions,
} from './meter-types.js';
import { checkOutcome } from './outcome-input.js';
import { RetryLinker } from './retry-linker.js';

/** A `meter.record()` input that failed validation; `errors` name the fields. */
export class MeterRecordError extends Error {
  readonly code = 'TOKENMETER_INVALID_RECORD';
  constructor(readonly errors: FieldError[]) {
    super(`invalid usage record: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  }
}

/** State shared by a meter and its views. */
export interface MeterCore {
  sink: MeterSink;
  linker: RetryLinker;
  calls: number;
}

/** What a wrapped client remembers, so wrapping it again composes instead of metering twice. */
interface WrappedFetch {
  inner: FetchLike;
  attribution: AttributionInput;
}

const wrappedFetches = new WeakMap<FetchLike, WrappedFetch>();

const newId = (now: number) => newEventId(now);

/** The Meter implementation; `withTags` views share the core and add attribution. */
export class MeterImpl implements Meter {
  constructor(private readonly core: MeterCore, private readonly attribution: AttributionInput) {}

  wrap<T extends MeterableClient>(client: T, attribution: AttributionInput = {}): T {
    const own = (client as unknown as { fetch?: FetchLike }).fetch;
    const previous = own ? wrappedFetches.get(own) : undefined;
    const inner: FetchLike = previous?.inner ?? own ?? ((input, init) => globalThis.fetch(input, init));
    const merged = overlayAttribution(overlayAttribution(previous?.attribution ?? {}, this.attribution), attribution);
    const core = this.core;
    const sink = {
      call: (record: Parameters<MeterSink['call']>[0]) => {
        core.calls += 1;
        core.sink.call(record);
      },
    };
    const fetch = createMeteredFetch({ inner, sink, attribution: merged, linker: core.linker, newId });
    wrappedFetches.set(fetch, { inner, attribution: merged });
    const wrapped = client.withOptions({ fetch });
    if (wrapped === null || typeof wrapped !== 'object') throw new TypeError('meter.wrap: client.withOptions() did not return a client');
    return wrapped as T;
  }

  withTags(attribution: AttributionInput): Meter;
  withTags<R>(attribution: AttributionInput, fn: () => R): R;
  withTags<R>(attribution: AttributionInput, fn?: () => R): Meter | R {
    if (fn) return runInScope(attribution, null, fn);
    return new MeterImpl(this.core, overlayAttribution(this.attribution, attribution));
  }

  async task<R>(task: string | TaskOptions, fn: (task: TaskHandle) => R | Promise<R>): Promise<R> {
    const { name, id, ...attribution } = typeof task === 'string' ? { name: task } as TaskOptions : task;
    if (!name) throw new TypeError('meter.task: a task needs a name');
    const taskId = id ?? `${name}:${newEventId()}`;
    const handle: TaskHandle = Object.freeze({
      id: taskId,
      name,
      outcome: (outcome: OutcomeReport) => this.outcome(taskId, outcome),
    });
    // Only the task's own attribution is scoped: a view's or meter's defaults must not outrank a client's.
    return runInScope({ ...attribution, task: taskId }, handle, () => fn(handle));
  }

  currentTask(): TaskHandle | null {
    return currentScope()?.task ?? null;
  }

  async outcome(task: string | TaskHandle, outcome: OutcomeReport): Promise<void> {
    const taskId = typeof task === 'string' ? task : task.id;
    const check = checkOutcome({ ...outcome, task: taskId }, Date.now(), () => newEventId());
    if (!check.ok) throw new MeterRecordError(check.errors);
    await this.core.sink.outcomes([check.outcome]);
  }

  record(input: RecordInput): string {
    const id = input.id ?? newEventId();
    const check = checkIngestRecord({ ...input, id });
    if (!check.ok) throw new MeterRecordError(check.errors);
    const call = ingestRecordToCallRecord(check.record, Date.now());
    const scope = currentScope();
    call.attribution = resolveAttribution([
      call.attribution,
      scope ? { ...scope.attribution, task: scope.task?.id ?? scope.attribution.task } : null,
      this.attribution,
    ]);
    this.core.calls += 1;
    this.core.sink.call(call);
    return id;
  }

  flush(): Promise<void> {
    return this.core.sink.flush();
  }

  close(): Promise<void> {
    return this.core.sink.close();
  }

  stats(): MeterStats {
    return { calls: this.core.calls, ...this.core.sink.stats() };
  }
}

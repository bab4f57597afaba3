import { performance } from 'node:perf_hooks';
import type { StreamMeter, StreamResult } from '../providers/types.js';
import type { MeteredCall } from './metered-call.js';

type EstimateModule = typeof import('../providers/estimate-usage.js');
let estimator: Promise<EstimateModule> | null = null;

/**
 * The tokenizer behind stream estimates takes ~0.6 s to load, so it is loaded the first time a stream
 * ends without usage, never at import: apps whose streams complete never pay for it.
 */
function loadEstimator(): Promise<EstimateModule> {
  return (estimator ??= import('../providers/estimate-usage.js'));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Ending = 'complete' | 'client_disconnect' | 'upstream_reset';

/**
 * A Response whose body is the upstream's, passed through the endpoint's stream meter on the way:
 * chunks the meter does not change are handed on as the very same Uint8Array objects, so the caller's
 * stream is untouched, and its backpressure reaches the upstream (one chunk is read per pull).
 * However the stream ends, exactly one event is recorded; without final usage it is estimated.
 */
export function meterStreamResponse(response: Response, call: MeteredCall, meter: StreamMeter): Response {
  const reader = response.body!.getReader();
  let firstChunkAt: number | null = null;
  let done = false;
  const finish = (ending: Ending) => {
    if (done) return;
    done = true;
    const result = meter.result();
    let errorType: string | null = ending === 'complete' ? null : ending;
    if (result.error) errorType = result.error.type;
    call.record.ttftMs = firstChunkAt === null ? null : Math.round(firstChunkAt - call.startedAt);
    const status = ending === 'client_disconnect' ? 499 : response.status;
    if (ending === 'complete' && result.completed && result.parsed !== null) {
      call.settle(status, errorType, result.parsed);
      return;
    }
    call.endTiming();
    void settleEstimated(call, result, status, errorType);
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Loop until something is handed on: a pull that enqueues nothing would not be called again.
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          enqueue(controller, meter.end());
          finish(call.aborted() ? 'client_disconnect' : 'upstream_reset');
          controller.error(error);
          return;
        }
        if (chunk.done) {
          enqueue(controller, meter.end());
          controller.close();
          finish('complete');
          return;
        }
        firstChunkAt ??= performance.now();
        const value = chunk.value;
        const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        const out = meter.write(view);
        if (out === view) {
          controller.enqueue(value);
          return;
        }
        if (enqueue(controller, out)) return;
      }
    },
    cancel(reason) {
      finish('client_disconnect');
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return rebuildResponse(response, body);
}

async function settleEstimated(call: MeteredCall, result: StreamResult, status: number, errorType: string | null): Promise<void> {
  try {
    const { estimateStreamUsage } = await loadEstimator();
    call.record.estimatedUsage = estimateStreamUsage(result, call.body);
  } catch {
    // No tokenizer: the event is still recorded, with the provider's partial counts only.
    call.record.estimatedUsage = result.parsed?.usage ?? result.partial?.usage ?? null;
  }
  call.settle(status, errorType, result.parsed);
}

function enqueue(controller: ReadableStreamDefaultController<Uint8Array>, out: Buffer | string | null): boolean {
  if (out === null || out.length === 0) return false;
  controller.enqueue(typeof out === 'string' ? encoder.encode(out) : out);
  return true;
}

/** A Response with the same status, headers and URL around another body. */
function rebuildResponse(original: Response, body: ReadableStream<Uint8Array> | Uint8Array): Response {
  const rebuilt = new Response(body, { status: original.status, statusText: original.statusText, headers: original.headers });
  // `url` and `redirected` are getters of the original; the SDKs log and expose `url`.
  Object.defineProperty(rebuilt, 'url', { value: original.url });
  Object.defineProperty(rebuilt, 'redirected', { value: original.redirected });
  return rebuilt;
}

/**
 * Reads a whole (non-stream) response, settles the call from it (usage for 2xx, the provider's error
 * type otherwise) and returns a Response with the same status, headers and bytes. Buffering is what
 * the SDK does with these bodies anyway, and is several times cheaper than Response.clone()'s tee.
 */
export async function meterWholeResponse(response: Response, call: MeteredCall): Promise<Response> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    const aborted = call.aborted();
    call.settle(aborted ? 499 : 502, aborted ? 'client_disconnect' : 'upstream_reset', null);
    throw error;
  }
  let json: unknown = null;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch {
    // Not JSON (an HTML error page from a proxy): no usage, a generic error type.
  }
  if (response.ok) call.settle(response.status, null, json ? call.adapter.parseUsage(json) : null);
  else call.settle(response.status, upstreamErrorType(json, response.status), null);
  return rebuildResponse(response, bytes);
}

/** The error type of a provider error body, as the gateway records it. */
export function upstreamErrorType(json: unknown, status: number): string {
  const error = (json as { error?: { type?: unknown; code?: unknown } } | null)?.error;
  if (error && typeof error.type === 'string') return error.type;
  if (error && typeof error.code === 'string') return error.code;
  return `http_${status}`;
}

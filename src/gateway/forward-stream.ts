import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { GatewayContext } from './gateway-context.js';
import type { UpstreamResponse } from './upstream-client.js';
import { copyResponseHeaders } from './upstream-headers.js';
import { settle, streamAnnotation, type CallState } from './call-state.js';
import { estimateStreamUsage } from '../providers/estimate-usage.js';

type Ending = 'complete' | 'client_disconnect' | 'upstream_reset' | 'upstream_timeout';

/**
 * Pipes an SSE response to the caller through the endpoint's stream meter (usage tapped on the way,
 * never buffered whole), honouring backpressure. However the stream ends (complete, caller gone,
 * upstream cut) exactly one event is recorded; without final usage it is estimated and flagged.
 */
export function forwardStream(res: ServerResponse, call: CallState, ctx: GatewayContext, upstream: UpstreamResponse, sentAt: number, dropUsageChunk: boolean): Promise<void> {
  const meter = call.adapter.createStreamMeter!({
    dropUsageChunk,
    annotate: (parsed) => streamAnnotation(call, ctx, parsed),
  });
  const headers = copyResponseHeaders(upstream.headers, call.ticket.headers);
  headers['x-tokenmeter-request-id'] = call.id;
  // Time spent in the gateway before the request went upstream (the stream itself is relayed as it comes).
  headers['x-tokenmeter-overhead-ms'] = (sentAt - call.startedAt).toFixed(3);
  res.writeHead(upstream.status, headers);
  const body = upstream.body;
  let firstChunkAt: number | null = null;
  let responseText = ctx.config.privacy.captureText ? '' : null;

  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (ending: Ending) => {
      if (done) return;
      done = true;
      body.off('data', onData);
      res.off('drain', onDrain);
      res.off('close', onClientClose);
      const result = meter.result();
      let errorType: string | null = ending === 'complete' ? null : ending;
      if (result.error) errorType = result.error.type;
      const complete = ending === 'complete' && result.completed && result.parsed !== null;
      if (!complete) call.record.estimatedUsage = estimateStreamUsage(result, call.body);
      call.record.ttftMs = firstChunkAt === null ? null : Math.round(firstChunkAt - call.startedAt);
      call.record.responseText = responseText;
      const status = ending === 'client_disconnect' ? 499 : upstream.status;
      settle(call, ctx, status, errorType, result.parsed);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      if (firstChunkAt === null) firstChunkAt = performance.now();
      if (responseText !== null) responseText += chunk.toString('utf8');
      const out = meter.write(chunk);
      if (out !== null && out.length > 0 && !res.write(out)) body.pause();
    };
    const onDrain = () => body.resume();
    const onClientClose = () => {
      if (res.writableFinished) return;
      body.destroy();
      finish('client_disconnect');
    };
    body.on('data', onData);
    res.on('drain', onDrain);
    res.once('close', onClientClose);
    body.once('end', () => {
      const tail = meter.end();
      res.end(tail ?? undefined);
      finish('complete');
    });
    body.once('error', (error: Error & { code?: string }) => {
      if (done) return;
      const tail = meter.end();
      if (tail && tail.length > 0) res.write(tail);
      // Cut the caller's connection too, so its SDK sees a broken stream rather than a clean end.
      res.destroy();
      finish(error.code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream_timeout' : 'upstream_reset');
    });
  });
}

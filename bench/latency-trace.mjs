// Preload for a Node HTTP server under a closed-loop load (the gateway, or the shared bench's mock): times every
// request on the server side (the 'request' event to the response's 'finish', on the wall clock so two processes'
// traces line up) and records every GC, then writes both to a JSON file on SIGTERM. bench/latency-excess.mjs reads it.
//
//   node --import ./bench/latency-trace.mjs dist/src/cli/main.js start ...      (LATENCY_TRACE_OUT=/tmp/trace.json)
//
// Costs ~1 µs per request; holds at most 1,000,000 requests (16 MB of Float64Array, allocated at start).
import http from 'node:http';
import fs from 'node:fs';
import { performance, PerformanceObserver } from 'node:perf_hooks';

const out = process.env.LATENCY_TRACE_OUT ?? 'latency-trace.json';
const capacity = 1_000_000;
const spans = new Float64Array(capacity * 2);
let count = 0;
const gcs = [];
const wallNow = () => performance.timeOrigin + performance.now();

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push([performance.timeOrigin + entry.startTime, entry.duration, entry.detail?.kind ?? 0]);
}).observe({ entryTypes: ['gc'] });

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event === 'request' && count < capacity) {
    const at = count++;
    spans[at * 2] = wallNow();
    res.once('finish', () => { spans[at * 2 + 1] = wallNow(); });
  }
  return emit.apply(this, arguments);
};

process.prependListener('SIGTERM', () => {
  // timeOrigin and the monotonic clock's offset let bench/latency-threads.mjs line spans up with `perf record -k CLOCK_MONOTONIC`.
  const monoMinusNow = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  fs.writeFileSync(out, JSON.stringify({ pid: process.pid, timeOrigin: performance.timeOrigin, monoMinusNow, spans: Array.from(spans.subarray(0, count * 2)), gcs }));
});

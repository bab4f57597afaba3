#!/usr/bin/env node
// Which threads had the gateway's core while one-connection requests were slow: a bench/latency-trace.mjs trace lined
// up with CPU samples of that core, per 3 s segment of the cell's last 15 s.
//
//   perf record -k CLOCK_MONOTONIC -F 2999 -C 1 -o /tmp/cpu.data &      # the gateway's core (GW_CPU, 1 by default)
//   TOKENMETER_NODE_OPTIONS="--import $PWD/bench/latency-trace.mjs" LATENCY_TRACE_OUT=/tmp/trace.json \
//     BENCH_GATEWAYS=tokenmeter LEVELS=1 STREAM_LEVELS= npm run bench; kill -INT %1
//   perf script -i /tmp/cpu.data -F pid,tid,time,ip,sym > /tmp/samples.txt
//   node bench/latency-threads.mjs /tmp/trace.json /tmp/samples.txt [--over 2] [--hz 2999]
//
// A slow cycle runs from one response's finish to the next one's (at one connection, one request's round trip and
// the client's turn). Samples inside cycles over `--over` ms are summed by what ran: the event loop ('main'), the
// SQLite append thread (the thread other than main with SQLite frames), and V8's worker threads by their work
// (TurboFan compiling, scavenging, marking, sweeping, other). Time the core sat idle is not sampled: the rest of a
// slow cycle is waiting (on the upstream, the client, or the VM).
import fs from 'node:fs';

const args = process.argv.slice(2);
const [traceFile, samplesFile] = args.filter((a) => !a.startsWith('--'));
if (!traceFile || !samplesFile) {
  console.error('usage: node bench/latency-threads.mjs TRACE.json SAMPLES.txt [--over MS] [--hz HZ]');
  process.exit(2);
}
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const overMs = option('over', 2);
const hz = option('hz', 2999);

const trace = JSON.parse(fs.readFileSync(traceFile, 'utf8'));
if (trace.monoMinusNow === undefined) {
  console.error('this trace has no monotonic clock offset: record it with the current bench/latency-trace.mjs');
  process.exit(2);
}
const toMono = (wall) => wall - trace.timeOrigin + trace.monoMinusNow;
const samples = [];
for (const line of fs.readFileSync(samplesFile, 'utf8').split('\n')) {
  const m = /^\s*(\d+)\/(\d+)\s+([\d.]+):\s+\S+\s+(.*)$/.exec(line);
  if (m && Number(m[1]) === trace.pid) samples.push({ tid: Number(m[2]), ms: Number(m[3]) * 1000, sym: m[4] });
}
samples.sort((a, b) => a.ms - b.ms);
const appendThreads = new Set(samples.filter((s) => s.tid !== trace.pid && /sqlite/i.test(s.sym)).map((s) => s.tid));

function kind(sample) {
  if (sample.tid === trace.pid) return 'main';
  if (appendThreads.has(sample.tid)) return 'append thread';
  const sym = sample.sym;
  if (/compiler::|Pipeline|OptimizedCompilationJob|TurboFan|Maglev|RegisterAlloc|LiveRange|Schedul|Reduce/.test(sym)) return 'V8: compiling';
  if (/Scaveng|SweepYoung|SemiSpace|YoungGen|Evacuat/.test(sym)) return 'V8: scavenging';
  if (/Mark/.test(sym)) return 'V8: marking';
  if (/Sweep/.test(sym)) return 'V8: sweeping';
  return 'V8: other';
}

const firstSample = (ms) => {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid].ms < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

const { spans } = trace;
const end = spans[spans.length - 1];
const start = end - 15_000;
const bySegment = [];
const whole = {};
let slow = 0;
let excess = 0;
for (let i = 1; i < spans.length / 2; i++) {
  const from = spans[2 * (i - 1) + 1];
  const to = spans[2 * i + 1];
  if (from < start || !(to > 0) || to - from <= overMs) continue;
  slow++;
  excess += to - from - overMs;
  const segment = (bySegment[Math.floor((from - start) / 3000)] ??= {});
  for (let k = firstSample(toMono(from)); k < samples.length && samples[k].ms < toMono(to); k++) {
    const what = kind(samples[k]);
    segment[what] = (segment[what] ?? 0) + 1;
  }
}
for (const s of samples) {
  if (s.ms < toMono(start) || s.ms > toMono(end)) continue;
  const what = kind(s);
  whole[what] = (whole[what] ?? 0) + 1;
}
const list = (counts) => Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([what, n]) => `${what} ${Math.round((n / hz) * 1000)} ms`).join(', ');
console.log(`${slow} cycles over ${overMs} ms in the last 15 s (${Math.round(excess)} ms beyond it); CPU of the gateway's core inside them:`);
bySegment.forEach((counts, index) => console.log(`  ${String(index * 3).padStart(2)}-${String(index * 3 + 3).padEnd(2)} s: ${list(counts ?? {})}`));
console.log(`all 15 s: ${list(whole)}`);

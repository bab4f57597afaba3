#!/usr/bin/env node
// Where a one-connection p99 comes from, from a bench/latency-trace.mjs trace of the server under wrk -c1.
//
//   node bench/latency-excess.mjs TRACE.json [--last 15] [--segment 3] [--over 2]
//
// wrk (4.x) corrects its latency histogram for coordinated omission (`stats_correct`): a request that took v ms, at a
// mean interval of I ms between requests, also records v-I, v-2I, ... down to I. At one connection its p99 is therefore
// set by the stalls: p99 <= X when the time requests spent beyond X adds up to no more than ~1 % of the run. This prints,
// per segment of the run, that corrected p99 recomputed from the server's own cycle times (response to response,
// which at one connection is one request's whole trip) and the excess over `--over` ms, then the excess by the kind
// of GC overlapping it (none, 1 scavenge, 4 mark-compact, 8 incremental marking) and the period, if any, that
// gathers the stalls (a timer somewhere on the machine).
import fs from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: node bench/latency-excess.mjs TRACE.json [--last SECONDS] [--segment SECONDS] [--over MS]');
  process.exit(2);
}
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const lastMs = option('last', 15) * 1000;
const segmentMs = option('segment', 3) * 1000;
const overMs = option('over', 2);

const { spans, gcs } = JSON.parse(fs.readFileSync(file, 'utf8'));
const finishes = [];
for (let i = 0; i < spans.length; i += 2) if (spans[i + 1] > 0) finishes.push(spans[i + 1]);
const end = finishes[finishes.length - 1];
const start = end - lastMs;
// A cycle: from one response's finish to the next one's (the request's round trip plus the client's turn).
const cycles = [];
for (let i = 1; i < finishes.length; i++) if (finishes[i - 1] >= start) cycles.push({ from: finishes[i - 1], ms: finishes[i] - finishes[i - 1] });

const quantile = (values, q) => {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
function correctedP99(part, spanMs) {
  const interval = spanMs / part.length;
  const values = [];
  // As wrk's stats_correct: a value of at least twice the interval also counts itself less one, two, ... intervals.
  for (const { ms } of part) {
    values.push(ms);
    if (ms >= 2 * interval) for (let m = ms - interval; m > interval; m -= interval) values.push(m);
  }
  return quantile(values, 0.99);
}
const excessOf = (part) => part.reduce((sum, { ms }) => sum + Math.max(0, ms - overMs), 0);

console.log(`${cycles.length} requests in the last ${lastMs / 1000} s; corrected p99 ${correctedP99(cycles, lastMs).toFixed(2)} ms, ` +
  `${excessOf(cycles).toFixed(0)} ms spent beyond ${overMs} ms (1 % of the span: ${(lastMs / 100).toFixed(0)} ms)`);
for (let from = start; from < end - 1; from += segmentMs) {
  const part = cycles.filter((c) => c.from >= from && c.from < from + segmentMs);
  if (part.length < 2) continue;
  console.log(`  ${((from - start) / 1000).toFixed(0).padStart(3)}-${((from - start + segmentMs) / 1000).toFixed(0).padEnd(3)} s: ` +
    `p99 ${correctedP99(part, segmentMs).toFixed(2)} ms, beyond ${overMs} ms ${excessOf(part).toFixed(0)} ms`);
}

const byKind = new Map();
const stallStarts = [];
for (const { from, ms } of cycles) {
  if (ms <= overMs) continue;
  stallStarts.push(from);
  const kinds = gcs.filter(([at, duration]) => at < from + ms && at + duration > from).map(([, , kind]) => kind);
  const key = kinds.length ? `gc kind ${[...new Set(kinds)].sort().join('+')}` : 'no GC';
  byKind.set(key, (byKind.get(key) ?? 0) + ms - overMs);
}
console.log(`beyond ${overMs} ms by what overlapped it: ${[...byKind].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ') || 'nothing'}`);

// The period between 100 and 2,000 ms whose phase, in 20 bins, gathers the most stalls; against the same search over
// as many random times (with ~2,000 periods tried, chance alone gathers well above 5 %).
function bestPeriod(times) {
  let best = { period: 0, share: 0 };
  for (let period = 100; period <= 2000; period += 1) {
    const bins = new Array(20).fill(0);
    for (const at of times) bins[Math.floor(((at % period) / period) * 20)]++;
    const share = Math.max(...bins) / times.length;
    if (share > best.share) best = { period, share };
  }
  return best;
}
if (stallStarts.length >= 10) {
  const best = bestPeriod(stallStarts);
  const random = bestPeriod(stallStarts.map(() => start + Math.random() * lastMs));
  console.log(`${stallStarts.length} stalls beyond ${overMs} ms; a ${best.period} ms period gathers ${(100 * best.share).toFixed(0)} % of them ` +
    `in one twentieth of its phase (as many random times: ${(100 * random.share).toFixed(0)} %)`);
}

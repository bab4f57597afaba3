#!/usr/bin/env node
// Merges run-peer.sh result folders (one per gateway: runs.jsonl, memory.json, meta.json) into one
// markdown table: direct, the bare node:http proxy and tokenmeter side by side, with the issue's targets.
// Usage: node bench/combine-results.mjs <passthrough-dir> <tokenmeter-dir> [--json out.json]
// Each folder carries its own direct baseline; the direct row shows the median over all of them.
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonOut = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : null;
const dirs = args.filter((d) => existsSync(join(d, 'runs.jsonl')));
if (dirs.length === 0) {
  console.error('usage: combine-results.mjs <result-dir>... (folders with runs.jsonl)');
  process.exit(2);
}

const TARGET_RATIO_16 = 0.6;
const TARGET_ADDED_P99_MS = 2;
const TARGET_RSS_MIB = 150;
const BARE = 'passthrough';
const OURS = 'tokenmeter';

const readJson = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : {});
const median = (a) => {
  const s = a.filter((x) => x !== null && Number.isFinite(x)).sort((x, y) => x - y);
  if (!s.length) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const rps = (r) => (r.wrk.requests ? r.wrk.requests / (r.wrk.duration_us / 1e6) : null);
const cpuUs = (r) => (r.gw_cpu_ticks === null || !r.wrk.requests ? null : ((r.gw_cpu_ticks / (r.clk_tck || 100)) * 1e6) / r.wrk.requests);
const otherPct = (r) => (r.foreign_cpu_ticks === undefined ? null : (100 * r.foreign_cpu_ticks) / (r.clk_tck || 100) / (r.wrk.duration_us / 1e6));
const errors = (r) => r.wrk.err_status + r.wrk.err_connect + r.wrk.err_read + r.wrk.err_write + r.wrk.err_timeout;

// cells: key mode|conc -> { direct: runs[], byGateway: name -> runs[] }, plus the direct runs of each gateway's folder.
const cells = new Map();
const gateways = [];
const memory = {};
const meta = {};
for (const dir of dirs) {
  const runs = readFileSync(join(dir, 'runs.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  if (!runs.length) continue;
  const name = runs[0].gateway;
  gateways.push(name);
  memory[name] = readJson(join(dir, 'memory.json'));
  meta[name] = readJson(join(dir, 'meta.json'));
  for (const r of runs) {
    const key = `${r.mode}|${r.conc}`;
    if (!cells.has(key)) cells.set(key, { mode: r.mode, conc: r.conc, direct: [], directOf: {}, gw: {} });
    const c = cells.get(key);
    if (r.target === 'direct') {
      c.direct.push(r);
      (c.directOf[name] ??= []).push(r);
    } else (c.gw[name] ??= []).push(r);
  }
}
const order = [...cells.values()].sort((a, b) => (a.mode === b.mode ? a.conc - b.conc : a.mode === 'json' ? -1 : 1));

const fmtMs = (us) => (us === null ? 'n/a' : (us / 1000).toFixed(2));
const fmtInt = (x) => (x === null ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const fmtPct = (x) => (x === null ? 'n/a' : `${Math.round(x * 100)}%`);
const signed = (ms) => (ms === null ? 'n/a' : `${ms >= 0 ? '+' : ''}${ms.toFixed(2)}`);

const summary = { cells: [], memory: {}, targets: {} };
const lines = [];
lines.push(`| mode | conns | target | RPS | p50 ms | p99 ms | added p99 ms vs direct | CPU µs/req | RSS peak MiB | % of bare proxy RPS | same, from CPU/req | errors | other CPU |`);
lines.push('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const c of order) {
  const bareRps = c.gw[BARE] ? median(c.gw[BARE].map(rps)) : null;
  const bareCpu = c.gw[BARE] ? median(c.gw[BARE].map(cpuUs)) : null;
  const line = (target, runs, own) => {
    const R = median(runs.map(rps));
    const p50 = median(runs.map((r) => r.wrk.lat_p50_us));
    const p99 = median(runs.map((r) => r.wrk.lat_p99_us));
    // Added latency against the direct baseline measured in the same folder (interleaved with this gateway).
    const ownD99 = own ? median(own.map((r) => r.wrk.lat_p99_us)) : null;
    const added = target === 'direct' || ownD99 === null || p99 === null ? null : (p99 - ownD99) / 1000;
    const cpu = target === 'direct' ? null : median(runs.map(cpuUs));
    const hwm = target === 'direct' ? null : memory[target]?.hwm_kb ? memory[target].hwm_kb / 1024 : null;
    const ratio = target === 'direct' || bareRps === null || R === null ? null : R / bareRps;
    // A CPU-bound gateway on one core does ~1/CPU-per-request: the ratio of CPU costs shrugs off load that
    // other processes put on the machine between the two gateways' runs, which RPS does not.
    const cpuRatio = target === 'direct' || bareCpu === null || !cpu ? null : bareCpu / cpu;
    const other = Math.max(...runs.map(otherPct).filter((x) => x !== null), 0);
    const errs = runs.reduce((n, r) => n + errors(r), 0);
    summary.cells.push({ mode: c.mode, conc: c.conc, target, rps: R, p50_us: p50, p99_us: p99, added_p99_ms: added, cpu_us_per_req: cpu, peak_rss_mib: hwm, ratio_to_bare: ratio, cpu_ratio_to_bare: cpuRatio, errors: errs, other_cpu_pct_max: other });
    lines.push(`| ${c.mode} | ${c.conc} | ${target} | ${fmtInt(R)} | ${fmtMs(p50)} | ${fmtMs(p99)} | ${target === 'direct' ? '' : signed(added)} | ${cpu === null ? '' : Math.round(cpu)} | ${hwm === null ? '' : hwm.toFixed(1)} | ${target === 'direct' || target === BARE ? '' : fmtPct(ratio)} | ${target === 'direct' || target === BARE ? '' : fmtPct(cpuRatio)} | ${errs} | ${Math.round(other)}% |`);
    return { R, p99, added, cpu };
  };
  line('direct', c.direct, null);
  for (const g of gateways) if (c.gw[g]) line(g, c.gw[g], c.directOf[g]);
}

const reps = Math.max(...[...cells.values()].flatMap((c) => [...c.direct, ...Object.values(c.gw).flat()]).map((r) => r.repeat));
const anyMeta = Object.values(meta)[0] ?? {};
lines.push('');
lines.push(`${reps > 1 ? `Median of ${reps} repeats per cell` : 'One run per cell'}; ${anyMeta.duration_s ?? '?'} s measured after ${anyMeta.warmup_s ?? '?'} s warm-up. ` +
  'Latencies as wrk sees them (closed loop, keep-alive). CPU µs/req = the gateway process user+sys CPU / requests. ' +
  'added p99 = the gateway p99 minus the direct p99 measured interleaved with it. other CPU = most CPU used by processes outside the bench during a run (% of one core).');

// Targets of the issue.
const find = (mode, conc, target) => summary.cells.find((x) => x.mode === mode && x.conc === conc && x.target === target);
const t16 = find('json', 16, OURS);
const t1 = find('json', 1, OURS);
const rssMiB = memory[OURS]?.hwm_kb ? memory[OURS].hwm_kb / 1024 : null;
const verdict = (ok) => (ok === null ? 'n/a' : ok ? '**met**' : '**not met**');
if (t16 || t1 || rssMiB !== null) {
  const r16 = t16?.ratio_to_bare ?? null;
  const a1 = t1?.added_p99_ms ?? null;
  summary.targets = {
    rps_ratio_json_c16: { value: r16, target: TARGET_RATIO_16, met: r16 === null ? null : r16 >= TARGET_RATIO_16 },
    cpu_ratio_json_c16: { value: t16?.cpu_ratio_to_bare ?? null, target: TARGET_RATIO_16, met: t16?.cpu_ratio_to_bare == null ? null : t16.cpu_ratio_to_bare >= TARGET_RATIO_16 },
    added_p99_ms_json_c1: { value: a1, target: TARGET_ADDED_P99_MS, met: a1 === null ? null : a1 <= TARGET_ADDED_P99_MS },
    peak_rss_mib: { value: rssMiB, target: TARGET_RSS_MIB, met: rssMiB === null ? null : rssMiB <= TARGET_RSS_MIB },
  };
  lines.push('');
  lines.push('| target (issue #2) | measured | verdict |');
  lines.push('|---|---:|---|');
  lines.push(`| tokenmeter RPS >= 60% of the bare proxy, JSON, 16 connections | ${fmtPct(r16)} | ${verdict(summary.targets.rps_ratio_json_c16.met)} |`);
  lines.push(`| (cross-check: bare proxy CPU/req ÷ tokenmeter CPU/req, same cell) | ${fmtPct(summary.targets.cpu_ratio_json_c16.value)} | ${verdict(summary.targets.cpu_ratio_json_c16.met)} |`);
  lines.push(`| added p99 <= 2 ms at 1 connection (JSON, vs direct) | ${signed(a1)} ms | ${verdict(summary.targets.added_p99_ms_json_c1.met)} |`);
  lines.push(`| peak RSS <= 150 MiB | ${rssMiB === null ? 'n/a' : rssMiB.toFixed(1) + ' MiB'} | ${verdict(summary.targets.peak_rss_mib.met)} |`);
}
for (const g of gateways) summary.memory[g] = memory[g];
summary.meta = meta;
console.log(lines.join('\n'));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(summary, null, 2) + '\n');

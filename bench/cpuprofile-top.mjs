#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time per function, and self time
// per source area (tokenmeter src/…, undici, better-sqlite3, node internals, GC, idle).
// Usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [--top 40]
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const topAt = process.argv.indexOf('--top');
const TOP = topAt > 0 ? Number(process.argv[topAt + 1]) : 40;
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample counts -> time per node (timeDeltas are µs between samples).
const selfUs = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0));
}
const shortUrl = (u) => u.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'nm:').replace(/.*\/dist\/src\//, 'src/');
const key = (n) => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
};
const area = (n) => {
  const { url, functionName } = n.callFrame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(program)') return 'program (native, unattributed)';
  if (url.includes('/dist/src/')) return 'tokenmeter ' + shortUrl(url).split('/').slice(0, 2).join('/');
  if (url.includes('node_modules/')) return shortUrl(url).split('/')[0];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  return url ? 'other js' : 'native';
};

let total = 0;
let idle = 0;
const selfBy = new Map();
const areaBy = new Map();
const inclBy = new Map();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  total += us;
  if (n.callFrame.functionName === '(idle)') idle += us;
  selfBy.set(key(n), (selfBy.get(key(n)) ?? 0) + us);
  areaBy.set(area(n), (areaBy.get(area(n)) ?? 0) + us);
  // Inclusive: count each function once per sample stack.
  const seen = new Set();
  for (let p = id; p !== undefined; p = parent.get(p)) {
    const k = key(byId.get(p));
    if (seen.has(k)) continue;
    seen.add(k);
    inclBy.set(k, (inclBy.get(k) ?? 0) + us);
  }
}
const busy = total - idle;
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const print = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].filter(([k]) => !k.startsWith('(idle)') && k !== 'idle' && !k.startsWith('(root)')).sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
};
console.log(`profile ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / total).toFixed(0)}%); percentages are of busy time`);
print('self time by area', areaBy, 30);
print('self time by function', selfBy, TOP);
print('inclusive time by function', inclBy, TOP);

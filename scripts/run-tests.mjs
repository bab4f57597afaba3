#!/usr/bin/env node
// Runs the compiled test files with node's built-in runner. Node 20's `--test` takes no globs,
// so we find the files here. `unit` runs only tests beside the code (src/**); default runs all.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const mode = process.argv[2] ?? 'all';
const roots = mode === 'unit' ? ['dist/src'] : ['dist/src', 'dist/test'];
const files = [];
const walk = (dir) => {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
};
roots.forEach(walk);
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '), '(did the build run?)');
  process.exit(1);
}
files.sort();
// A hung test fails after 3 minutes instead of stalling CI; the slowest real test takes ~20 s.
const args = ['--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=180000', ...files];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, TOKENMETER_LOG: process.env.TOKENMETER_LOG ?? 'silent' } });
process.exit(result.status ?? 1);

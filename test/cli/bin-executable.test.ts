import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';

test('the package bin is executable after the build (npx runs it by path; tsc writes files without the x bit)', () => {
  const bin = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }).bin.tokenmeter!;
  assert.ok(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node'), 'the bin starts with a node shebang');
  assert.notEqual(statSync(bin).mode & 0o111, 0, `${bin} has an execute bit`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from './load-config.js';
import { toSpendPolicies } from './spend-config-schema.js';
import { assertValidPolicies } from '../core/spend-policy.js';

const withFile = (text: string, fn: (path: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-config-'));
  const path = join(dir, 'tokenmeter.yaml');
  writeFileSync(path, text);
  try {
    fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('defaults need no file; overrides and env apply', () => {
  const config = loadConfig(undefined, { port: 0, openaiUrl: 'http://127.0.0.1:9/v1' }, { TOKENMETER_DB: '/tmp/x.db', TOKENMETER_REDIS_URL: 'redis://r:6379' });
  assert.equal(config.server.port, 0);
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.server.bodyLimitBytes, 10 * 1024 * 1024);
  assert.equal(config.store.path, '/tmp/x.db');
  assert.equal(config.providers.openai.baseUrl, 'http://127.0.0.1:9/v1');
  assert.equal(config.providers.anthropic.baseUrl, 'https://api.anthropic.com');
  assert.equal(config.counters.redisUrl, 'redis://r:6379');
  assert.equal(config.privacy.captureText, false);
  assert.deepEqual(config.memory, { youngGenerationMiB: 16, oldGenerationGrowthPercent: 50 });
  assert.ok(Object.isFrozen(config.server));
});

test('an unknown key fails with its line and column', () => {
  withFile('server:\n  port: 4000\n  prot: 5\n', (path) => {
    assert.throws(() => loadConfig(path, {}, {}), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /tokenmeter\.yaml:3:3: server\.prot: unknown key "prot"/);
      return true;
    });
  });
});

test('a wrong value type names the key and line; bad YAML names the position', () => {
  withFile('server:\n  port: "four thousand"\n', (path) => {
    assert.throws(() => loadConfig(path, {}, {}), /:2:3: server\.port: /);
  });
  withFile('memory:\n  youngGenerationMiB: -8\n', (path) => {
    assert.throws(() => loadConfig(path, {}, {}), /:2:3: memory\.youngGenerationMiB: /);
  });
  withFile('server: [\n', (path) => {
    assert.throws(() => loadConfig(path, {}, {}), /invalid YAML/);
  });
  withFile('budgets:\n  - { id: b, scope: { kind: tenant }, limitUsd: "ten" }\n', (path) => {
    assert.throws(() => loadConfig(path, {}, {}), /budgets\.0\.limitUsd: invalid USD amount/);
  });
});

test('budgets, rate limits and caps become exact policies; an invalid time zone fails validation', () => {
  withFile(
    'budgets:\n  - { id: acme, scope: { kind: tenant, value: acme }, limitUsd: "12.50", window: { period: week, timeZone: Europe/Paris } }\n' +
      'rateLimits:\n  - { id: rl, scope: { kind: global }, requestsPerMinute: 60, usdPerHour: 2 }\n' +
      'caps:\n  tasks:\n    - { id: loop, maxCalls: 20, maxUsd: "0.50", ttl: 2h }\n',
    (path) => {
      const policies = toSpendPolicies(loadConfig(path, {}, {}));
      assert.equal(policies.budgets[0]!.limitPico, 12_500_000_000_000);
      assert.deepEqual(policies.budgets[0]!.window, { kind: 'calendar', period: 'week', timeZone: 'Europe/Paris' });
      assert.equal(policies.rateLimits[0]!.spendPerHourPico, 2_000_000_000_000);
      assert.equal(policies.taskCaps[0]!.maxCostPico, 500_000_000_000);
      assert.equal(policies.taskCaps[0]!.ttlMs, 7_200_000);
      assertValidPolicies(policies);
    },
  );
  withFile('budgets:\n  - { id: bad, scope: { kind: global }, limitUsd: 1, window: { period: month, timeZone: Mars/Olympus } }\n', (path) => {
    assert.throws(() => assertValidPolicies(toSpendPolicies(loadConfig(path, {}, {}))), /bad/);
  });
});

test('a tokenmeter.yaml in the working directory is read by default and skipped with file = null', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-config-cwd-'));
  const previous = process.cwd();
  writeFileSync(join(dir, 'tokenmeter.yaml'), 'server:\n  port: 4321\n');
  try {
    process.chdir(dir);
    assert.equal(loadConfig(undefined, {}, {}).server.port, 4321);
    assert.equal(loadConfig(null, {}, {}).server.port, 4000);
  } finally {
    process.chdir(previous);
    rmSync(dir, { recursive: true, force: true });
  }
});

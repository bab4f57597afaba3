import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDimension, parseLimit, parseSince, resolveTimeRange, ReportArgumentError } from './report-query.js';

const NOW = Date.UTC(2026, 10, 8, 12, 30, 0);

test('parseSince: durations count back from the injected now', () => {
  assert.equal(parseSince('7d', NOW), NOW - 7 * 86_400_000);
  assert.equal(parseSince('24h', NOW), NOW - 86_400_000);
  assert.equal(parseSince('30m', NOW), NOW - 1_800_000);
  assert.equal(parseSince('90s', NOW), NOW - 90_000);
  assert.equal(parseSince('2w', NOW), NOW - 14 * 86_400_000);
  assert.equal(parseSince('1.5h', NOW), NOW - 5_400_000);
  assert.equal(parseSince(' 7D ', NOW), NOW - 7 * 86_400_000);
});

test('parseSince: dates are UTC midnight; ISO times without a zone are UTC', () => {
  assert.equal(parseSince('2026-11-01', NOW), Date.UTC(2026, 10, 1));
  assert.equal(parseSince('2026-11-01T10:15:00Z', NOW), Date.UTC(2026, 10, 1, 10, 15));
  assert.equal(parseSince('2026-11-01T10:15', NOW), Date.UTC(2026, 10, 1, 10, 15));
  assert.equal(parseSince('2026-11-01 10:15:30.250', NOW), Date.UTC(2026, 10, 1, 10, 15, 30, 250));
  assert.equal(parseSince('2026-11-01T10:15:00+02:00', NOW), Date.UTC(2026, 10, 1, 8, 15));
});

test('parseSince: rejects junk and impossible dates with a message naming the formats', () => {
  for (const bad of ['', 'yesterday', '7', '7y', '-7d', '2026-02-30', '2026-13-01', '2026-11-01T25:00']) {
    assert.throws(() => parseSince(bad, NOW), (error: unknown) =>
      error instanceof ReportArgumentError && /30m, 24h, 7d/.test(error.message), bad);
  }
});

test('parseDimension: accepts every dimension, lists them all when wrong', () => {
  assert.equal(parseDimension('Tenant'), 'tenant');
  assert.throws(() => parseDimension('colour'), /valid dimensions are feature, tenant, user, team, model, template, task, provider, env, endpoint, day/);
});

test('parseLimit: whole numbers >= 1 only', () => {
  assert.equal(parseLimit('10'), 10);
  for (const bad of ['0', '-1', '2.5', 'ten']) assert.throws(() => parseLimit(bad), ReportArgumentError);
});

test('resolveTimeRange: defaults to the last 7 days up to and including now; refuses empty ranges', () => {
  assert.deepEqual(resolveTimeRange({}, NOW), { since: NOW - 7 * 86_400_000, until: NOW + 1 });
  assert.deepEqual(resolveTimeRange({}, NOW, null), { since: 0, until: NOW + 1 });
  assert.deepEqual(resolveTimeRange({ since: '2026-11-01', until: '2026-11-02' }, NOW), { since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 10, 2) });
  assert.throws(() => resolveTimeRange({ since: '1d', until: '2d' }, NOW), /empty time range/);
});

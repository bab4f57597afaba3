import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { IdleDeadlines, type IdleWatch } from './idle-deadlines.js';
import { bytesReceived } from './upstream-client.js';

function watchOf(progress: () => number): IdleWatch & { expiredAt: number | null } {
  return {
    seenAt: 0,
    seenProgress: 0,
    expiredAt: null,
    progress,
    expire() {
      this.expiredAt = performance.now();
    },
  };
}

test('idle deadlines: a silent call expires after the timeout, never before, and is no longer watched', async () => {
  const deadlines = new IdleDeadlines(100);
  try {
    const watch = watchOf(() => 0);
    const started = performance.now();
    deadlines.watch(watch);
    await sleep(90);
    assert.equal(watch.expiredAt, null, 'not before the timeout');
    await sleep(150);
    assert.ok(watch.expiredAt !== null, 'expired');
    const after = watch.expiredAt! - started;
    assert.ok(after >= 100 && after < 200, `expired after ${after.toFixed(0)} ms (timeout 100, ticks of 13 ms)`);
    assert.equal(deadlines.size, 0);
  } finally {
    deadlines.close();
  }
});

test('idle deadlines: progress keeps a call alive past the timeout; touch and unwatch work', async () => {
  const deadlines = new IdleDeadlines(80);
  try {
    let bytes = 0;
    const busy = watchOf(() => bytes);
    const touched = watchOf(() => 0);
    const removed = watchOf(() => 0);
    deadlines.watch(busy);
    deadlines.watch(touched);
    deadlines.watch(removed);
    deadlines.unwatch(removed);
    for (let i = 0; i < 10; i++) {
      await sleep(25);
      bytes += 10;
      deadlines.touch(touched);
    }
    assert.equal(busy.expiredAt, null, 'a call making progress is never cut, however long it runs');
    assert.equal(touched.expiredAt, null);
    await sleep(200);
    assert.ok(busy.expiredAt !== null && touched.expiredAt !== null, 'both expire once silent');
    assert.equal(removed.expiredAt, null, 'an unwatched call never expires');
  } finally {
    deadlines.close();
  }
});

test("bytesReceived reads undici's own count of a response body's bytes (pins undici's private kBytesRead)", async () => {
  const server = http.createServer((_req, res) => {
    res.write('x'.repeat(1000));
    setTimeout(() => res.end('y'.repeat(500)), 30);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const before = bytesReceived(response.body);
    const text = await response.body.text();
    assert.equal(text.length, 1500);
    assert.equal(bytesReceived(response.body), 1500, 'the count after the whole body');
    assert.ok(before <= 1500);
    assert.equal(bytesReceived(response.body), 1500, 'stable while nothing arrives (no fallback counter)');
  } finally {
    server.close();
  }
});

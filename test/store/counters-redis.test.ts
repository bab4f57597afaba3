import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisCounters } from '../../src/store/redis/redis-counters.js';
import { CountersUnavailableError } from '../../src/store/counters.js';
import { runCountersContract } from './counters-contract.js';

const REDIS_URL = process.env.TOKENMETER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

/** Two RedisCounters on separate connections sharing one unique prefix. */
async function openPair(): Promise<{ prefix: string; a: RedisCounters; b: RedisCounters; admin: Redis; close(): Promise<void> }> {
  const prefix = `tm-test:${randomUUID()}:`;
  const a = new RedisCounters({ url: REDIS_URL, prefix });
  const b = new RedisCounters({ url: REDIS_URL, prefix });
  const admin = new Redis(REDIS_URL);
  assert.equal(await a.ready(), true, `Redis must be running at ${REDIS_URL}`);
  assert.equal(await b.ready(), true);
  return {
    prefix, a, b, admin,
    async close() {
      await deleteKeys(admin, prefix);
      await Promise.all([a.close(), b.close()]);
      await admin.quit();
    },
  };
}

runCountersContract('redis', async () => {
  const pair = await openPair();
  return { counters: pair.a, peers: [pair.b], cleanup: () => pair.close() };
});

test('redis: zero overrun across two connections and a child process', async () => {
  const pair = await openPair();
  const child = spawn(process.execPath, ['dist/test/store/counters-redis-child.js', pair.prefix, '250', '250', '1000'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines: string[] = [];
    let buffer = '';
    const lineWaiters: Array<() => void> = [];
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) { lines.push(buffer.slice(0, newline)); buffer = buffer.slice(newline + 1); lineWaiters.shift()?.(); }
    });
    const nextLine = async () => { if (lines.length === 0) await new Promise<void>((resolve) => lineWaiters.push(resolve)); return lines.shift()!; };
    assert.equal(await nextLine(), 'ready');
    const startAt = Date.now() + 100;
    child.stdin.write(`${startAt}\n`);
    await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()));
    const stores = [pair.a, pair.b];
    const pending = [];
    for (let index = 0; index < 250; index++) {
      pending.push(stores[index % 2]!.reserve({
        id: `parent-${index}`, leaseMs: 60_000, now: 1000,
        entries: [{ key: 'global', amount: 7, limit: 1000, ttlMs: 3_600_000 }, { key: `tenant-${index % 5}`, amount: 7, limit: 300, ttlMs: 3_600_000 }],
      }));
      // Waves keep both processes sending while the budget drains, so they truly race.
      if (index % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const local = await Promise.all(pending);
    const { granted: childGranted } = JSON.parse(await nextLine()) as { granted: number };
    const parentGranted = local.filter((result) => result.ok).length;
    assert.ok(childGranted > 0 && parentGranted > 0, `both processes won some (${childGranted}, ${parentGranted})`);
    assert.equal(childGranted + parentGranted, Math.floor(1000 / 7));
    assert.deepEqual(await pair.a.get('global', 1000), { spent: 0, reserved: 142 * 7 });
  } finally {
    child.kill();
    await pair.close();
  }
});

test('redis: keys are namespaced, expire, and scripts run by EVALSHA', async () => {
  const pair = await openPair();
  try {
    await pair.a.reserve({ id: 'ttl', entries: [{ key: 'k', amount: 1, limit: 10, ttlMs: 120_000 }], leaseMs: 5000, now: 1000 });
    await pair.a.hit({ entries: [{ key: 'rate', amount: 1, limit: 10, windowMs: 60_000 }], now: 1000 });
    const keys = (await pair.admin.keys(`${pair.prefix}*`)).sort();
    assert.deepEqual(keys.map((key) => key.slice(pair.prefix.length)), ['c:k', 'h:rate:0', 'r:ttl', 'z:k']);
    for (const key of keys) {
      const ttl = await pair.admin.pttl(key);
      assert.ok(ttl > 0, `${key} has a TTL (${ttl})`);
    }
    assert.ok((await pair.admin.pttl(`${pair.prefix}c:k`)) <= 120_000);
    await pair.a.settle('ttl', 1, 1001);
    assert.ok((await pair.admin.pttl(`${pair.prefix}r:ttl`)) <= 10_000, 'a settled record is kept only briefly, for idempotence');
    assert.equal(await pair.admin.zcard(`${pair.prefix}z:k`), 0);
    const info = await pair.admin.info('commandstats');
    assert.match(info, /cmdstat_evalsha:calls=\d+/);
  } finally {
    await pair.close();
  }
});

test('redis: large amounts stay exact (no %.14g formatting in Lua)', async () => {
  const pair = await openPair();
  try {
    const big = 9_000_000_000_000_001; // > 1e14, odd: would lose digits as a Lua-printed number
    const limit = Number.MAX_SAFE_INTEGER;
    const result = await pair.a.reserve({ id: 'big', entries: [{ key: 'big', amount: big, limit, ttlMs: 60_000 }], leaseMs: 5000, now: 1000 });
    assert.equal(result.ok, true);
    assert.deepEqual(await pair.a.settle('big', 123_456_789_012_345, 1001), { status: 'settled', spent: [123_456_789_012_345] });
    assert.deepEqual(await pair.a.get('big', 1001), { spent: 123_456_789_012_345, reserved: 0 });
  } finally {
    await pair.close();
  }
});

test('redis down: fail-closed throws CountersUnavailableError, fail-open uses local counters; each logs once', async () => {
  const logs: string[] = [];
  const closed = new RedisCounters({ url: 'redis://127.0.0.1:1', prefix: 'x:', log: (level, message) => logs.push(`${level} ${message}`) });
  await closed.ready(200);
  const request = { id: 'r', entries: [{ key: 'k', amount: 5, limit: 8, ttlMs: 60_000 }], leaseMs: 1000, now: 1000 };
  await assert.rejects(closed.reserve(request), (error: unknown) => error instanceof CountersUnavailableError && error.code === 'counters_unavailable');
  await assert.rejects(closed.hit({ entries: [{ key: 'h', amount: 1, limit: 1, windowMs: 1000 }], now: 1000 }), CountersUnavailableError);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /^warn .*failing closed/);
  await closed.close();

  const openLogs: string[] = [];
  const open = new RedisCounters({ url: 'redis://127.0.0.1:1', prefix: 'x:', onUnavailable: 'fail-open', log: (level, message) => openLogs.push(`${level} ${message}`) });
  assert.equal((await open.reserve(request)).ok, true);
  assert.equal((await open.reserve({ ...request, id: 'r2' })).ok, false, 'local counters still enforce within the process');
  assert.deepEqual(await open.settle('r', 3, 1001), { status: 'settled', spent: [3] });
  assert.equal(openLogs.length, 1);
  assert.match(openLogs[0]!, /^warn .*failing open/);
  await open.close();
});

test('redis outage and recovery through a proxy: fail-open falls back, then shares again', async () => {
  const target = new URL(REDIS_URL);
  const sockets = new Set<net.Socket>();
  const startProxy = async (port = 0) => {
    const server = net.createServer((socket) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      const drop = () => { socket.destroy(); upstream.destroy(); };
      socket.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return server;
  };
  let proxy = await startProxy();
  const port = (proxy.address() as net.AddressInfo).port;
  const prefix = `tm-test:${randomUUID()}:`;
  const logs: string[] = [];
  const counters = new RedisCounters({ url: `redis://127.0.0.1:${port}`, prefix, onUnavailable: 'fail-open', log: (level) => logs.push(level) });
  const admin = new Redis(REDIS_URL);
  try {
    assert.equal(await counters.ready(), true);
    const entries = [{ key: 'k', amount: 1, limit: 100, ttlMs: 60_000 }];
    assert.equal((await counters.reserve({ id: 'before', entries, leaseMs: 10_000, now: 1000 })).ok, true);
    proxy.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await counters.reserve({ id: 'during', entries, leaseMs: 10_000, now: 1000 })).ok, true);
    assert.deepEqual(await counters.settle('during', 1, 1001), { status: 'settled', spent: [1] }, 'settled where it was held');
    proxy = await startProxy(port);
    assert.equal(await counters.ready(5000), true);
    assert.equal((await counters.settle('before', 1, 1002)).status, 'settled');
    assert.deepEqual(await counters.get('k', 1003), { spent: 1, reserved: 0 }, 'shared state resumed; the outage spend stayed local');
    assert.deepEqual(logs, ['warn', 'info']);
  } finally {
    await counters.close();
    proxy.close();
    for (const socket of sockets) socket.destroy();
    await deleteKeys(admin, prefix);
    await admin.quit();
  }
});

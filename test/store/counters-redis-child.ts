// Child process for the cross-process atomicity test: connects to Redis, waits for a start instant
// on stdin, fires its share of concurrent reserves and prints how many were granted as JSON.
import { RedisCounters } from '../../src/store/redis/redis-counters.js';

const [prefix, countText, startText, nowText] = process.argv.slice(2);
const counters = new RedisCounters({ prefix });
await counters.ready(5000);
process.stdout.write('ready\n');
// The parent sends the wall-clock instant to start at, so both processes fire together.
process.stdin.once('data', async (data) => {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(String(data).trim()) - Date.now())));
  const count = Number(countText);
  const start = Number(startText);
  const reserve = (index: number) => counters.reserve({
    id: `child-${start + index}`, leaseMs: 60_000, now: Number(nowText),
    entries: [{ key: 'global', amount: 7, limit: 1000, ttlMs: 3_600_000 }, { key: `tenant-${(start + index) % 5}`, amount: 7, limit: 300, ttlMs: 3_600_000 }],
  });
  const pending = [];
  for (let index = 0; index < count; index++) {
    pending.push(reserve(index));
    if (index % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const results = await Promise.all(pending);
  process.stdout.write(JSON.stringify({ granted: results.filter((result) => result.ok).length }) + '\n');
  await counters.close();
  process.exit(0);
});

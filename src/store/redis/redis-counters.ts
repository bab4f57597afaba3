import { createHash } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import {
  actualAmounts, assertValidReserve, CountersUnavailableError, decideHits, DEFAULT_LATE_SETTLE_GRACE_MS,
  DEFAULT_SETTLED_RETENTION_MS, type CounterState, type Counters, type CountersOptions, type HitEntry, type HitResult,
  type ReserveRequest, type ReserveResult, type SettleResult, type SettleStatus,
} from '../counters.js';
import { MemoryCounters } from '../memory/memory-counters.js';
import { EXTEND_SCRIPT, FINISH_SCRIPT, HIT_SCRIPT, RESERVE_SCRIPT } from './counter-scripts.js';

/** Options of the Redis counters. */
export interface RedisCountersOptions extends CountersOptions {
  /** Connection URL; default redis://127.0.0.1:6379. Ignored when `client` is given. */
  url?: string;
  /** An existing connection to use (not closed by close()). */
  client?: Redis;
  /** Namespace of every key; default "tokenmeter:". */
  prefix?: string;
  /** When Redis cannot be reached: throw CountersUnavailableError (default), or fall back to per-process memory counters. */
  onUnavailable?: 'fail-closed' | 'fail-open';
  /** Called once when Redis becomes unavailable and once when it is back. */
  log?: (level: 'warn' | 'info', message: string) => void;
  /** Per-command timeout for connections this class opens; default 1000 ms. */
  commandTimeoutMs?: number;
}

interface Script {
  source: string;
  sha: string;
}

const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });
const SCRIPTS = { reserve: script(RESERVE_SCRIPT), finish: script(FINISH_SCRIPT), extend: script(EXTEND_SCRIPT), hit: script(HIT_SCRIPT) };

/**
 * Counters shared by every process that uses the same Redis and prefix. Each operation is one
 * Lua script (EVALSHA, loaded on NOSCRIPT), so reserve/settle/hit are atomic across processes.
 */
export class RedisCounters implements Counters {
  readonly kind = 'redis';
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly failOpen: boolean;
  private readonly log: (level: 'warn' | 'info', message: string) => void;
  private readonly lateSettleGraceMs: number;
  private readonly settledRetentionMs: number;
  private readonly options: CountersOptions;
  private fallback: MemoryCounters | null = null;
  private down = false;

  constructor(options: RedisCountersOptions = {}) {
    this.ownsClient = !options.client;
    this.client = options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    // Connection errors surface through operations (and the log below); an unhandled 'error' event would crash.
    this.client.on('error', () => {});
    this.prefix = options.prefix ?? 'tokenmeter:';
    this.failOpen = options.onUnavailable === 'fail-open';
    this.log = options.log ?? (() => {});
    this.lateSettleGraceMs = options.lateSettleGraceMs ?? DEFAULT_LATE_SETTLE_GRACE_MS;
    this.settledRetentionMs = options.settledRetentionMs ?? DEFAULT_SETTLED_RETENTION_MS;
    this.options = { lateSettleGraceMs: this.lateSettleGraceMs, settledRetentionMs: this.settledRetentionMs };
  }

  /** Resolves true once connected, false after `timeoutMs` without a connection (operations then fail closed or open). */
  async ready(timeoutMs = 2000): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const done = (value: boolean) => { clearTimeout(timer); this.client.off('ready', onReady); resolve(value); };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.once('ready', onReady);
    });
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    assertValidReserve(request);
    return this.guarded('reserve', async () => {
      const { id, entries } = request;
      const now = Math.floor(request.now);
      const leaseExpiresAt = now + Math.ceil(request.leaseMs);
      const keys = [`${this.prefix}r:${id}`];
      const args: Array<string | number> = [id, now, leaseExpiresAt, Math.ceil(request.leaseMs) + this.lateSettleGraceMs, entries.length];
      for (const entry of entries) {
        keys.push(`${this.prefix}c:${entry.key}`, `${this.prefix}z:${entry.key}`);
        const priors = entry.priorKeys ?? [];
        for (const prior of priors) keys.push(`${this.prefix}c:${prior}`, `${this.prefix}z:${prior}`);
        args.push(entry.key, entry.amount, entry.limit, Math.ceil(entry.ttlMs), priors.length);
      }
      const reply = (await this.run(SCRIPTS.reserve, keys, args)) as number[];
      if (reply[0] === -1) throw new Error(`reserve: id "${id}" was already used`);
      if (reply[0] === 0) {
        const entry = entries[reply[1]! - 1]!;
        return { ok: false, index: reply[1]! - 1, key: entry.key, spent: reply[2]!, reserved: reply[3]!, amount: entry.amount, limit: entry.limit };
      }
      const offset = reply[0] === 2 ? 2 : 1;
      const counts: CounterState[] = entries.map((_, index) => ({ spent: reply[offset + 2 * index]!, reserved: reply[offset + 2 * index + 1]! }));
      const lease = reply[0] === 2 ? reply[1]! : leaseExpiresAt;
      return { ok: true, reservation: { id, keys: entries.map((entry) => entry.key), amounts: entries.map((entry) => entry.amount), leaseExpiresAt: lease }, counts };
    }, (local) => local.reserve(request));
  }

  async settle(id: string, actual: number | readonly number[], now: number): Promise<SettleResult> {
    if (this.fallback?.has(id)) return this.fallback.settle(id, actual, now);
    const single = typeof actual === 'number';
    const amounts = single ? actualAmounts(actual, 1) : actualAmounts(actual, actual.length);
    return this.guarded('settle', async () => {
      const reply = (await this.run(SCRIPTS.finish, [`${this.prefix}r:${id}`], [this.prefix, id, Math.floor(now), this.settledRetentionMs, single ? 'S' : 's', ...amounts])) as number[];
      if (reply[0] === -2) throw new Error(`settle: reservation "${id}" has ${reply[1]} keys, got ${amounts.length} actual amounts`);
      return { status: finishStatus(reply[0]!), spent: reply.slice(1) };
    }, (local) => local.settle(id, actual, now));
  }

  async release(id: string, now: number): Promise<SettleStatus> {
    if (this.fallback?.has(id)) return this.fallback.release(id, now);
    return this.guarded('release', async () => {
      const reply = (await this.run(SCRIPTS.finish, [`${this.prefix}r:${id}`], [this.prefix, id, Math.floor(now), this.settledRetentionMs, 'x'])) as number[];
      return finishStatus(reply[0]!);
    }, (local) => local.release(id, now));
  }

  async extend(id: string, leaseMs: number, now: number): Promise<boolean> {
    if (this.fallback?.has(id)) return this.fallback.extend(id, leaseMs, now);
    return this.guarded('extend', async () => {
      const lease = Math.floor(now) + Math.ceil(leaseMs);
      const reply = await this.run(SCRIPTS.extend, [`${this.prefix}r:${id}`], [this.prefix, id, Math.floor(now), lease, Math.ceil(leaseMs) + this.lateSettleGraceMs]);
      return reply === 1;
    }, (local) => local.extend(id, leaseMs, now));
  }

  async hit(request: { entries: readonly HitEntry[]; now: number }): Promise<HitResult> {
    return this.guarded('hit', async () => {
      const now = Math.floor(request.now);
      const keys: string[] = [];
      const args: Array<string | number> = [now, request.entries.length];
      for (const entry of request.entries) {
        const index = Math.floor(now / entry.windowMs);
        keys.push(`${this.prefix}h:${entry.key}:${index}`, `${this.prefix}h:${entry.key}:${index - 1}`);
        args.push(entry.amount, entry.limit, entry.windowMs);
      }
      const reply = (await this.run(SCRIPTS.hit, keys, args)) as number[];
      const windows = request.entries.map((_, index) => ({ previous: reply[1 + 2 * index]!, current: reply[2 + 2 * index]! }));
      return decideHits(request.entries, windows, now);
    }, (local) => local.hit(request));
  }

  async get(key: string, now: number, priorKeys?: readonly string[]): Promise<CounterState> {
    return this.guarded('get', async () => {
      const state = { spent: 0, reserved: 0 };
      const pipeline = this.client.pipeline();
      for (const name of [key, ...(priorKeys ?? [])]) {
        pipeline.hmget(`${this.prefix}c:${name}`, 'spent', 'reserved');
        pipeline.zrangebyscore(`${this.prefix}z:${name}`, Math.floor(now) + 1, '+inf');
      }
      const replies = (await pipeline.exec()) ?? [];
      for (let index = 0; index < replies.length; index += 2) {
        const [error, values] = replies[index]!;
        if (error) throw error;
        state.spent += Number((values as Array<string | null>)[0] ?? 0);
        // Holds are read from the live members so expired ones never count, even before a sweep.
        for (const member of replies[index + 1]![1] as string[]) state.reserved += Number(member.slice(0, member.indexOf(':')));
      }
      return state;
    }, (local) => local.get(key, now, priorKeys));
  }

  async reset(key: string): Promise<void> {
    await this.guarded('reset', async () => {
      await this.client.del(`${this.prefix}c:${key}`, `${this.prefix}z:${key}`);
    }, (local) => local.reset(key));
  }

  async close(): Promise<void> {
    await this.fallback?.close();
    if (this.ownsClient) {
      if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
      else this.client.disconnect();
    }
  }

  private async run(target: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await this.client.evalsha(target.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof ReplyError) || !String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      await this.client.script('LOAD', target.source);
      return this.client.evalsha(target.sha, keys.length, ...keys, ...args);
    }
  }

  private async guarded<T>(operation: string, remote: () => Promise<T>, local: (fallback: MemoryCounters) => Promise<T>): Promise<T> {
    if (this.client.status === 'ready') {
      try {
        const result = await remote();
        if (this.down) {
          this.down = false;
          this.log('info', 'redis counters: Redis is reachable again; shared counters resume');
        }
        return result;
      } catch (error) {
        // A ReplyError is Redis answering (a bug or bad input), not Redis being away.
        if (error instanceof ReplyError || !isUnavailable(error)) throw error;
        return this.unavailable(operation, local, error);
      }
    }
    return this.unavailable(operation, local, new Error(`connection status "${this.client.status}"`));
  }

  private async unavailable<T>(operation: string, local: (fallback: MemoryCounters) => Promise<T>, cause: unknown): Promise<T> {
    if (!this.down) {
      this.down = true;
      this.log('warn', this.failOpen
        ? `redis counters: Redis unavailable (${(cause as Error).message}); failing open to per-process memory counters, so limits hold per process only until Redis is back`
        : `redis counters: Redis unavailable (${(cause as Error).message}); failing closed: requests needing counters are refused until Redis is back`);
    }
    if (!this.failOpen) throw new CountersUnavailableError(`counters unavailable: ${operation} needs Redis, which is unreachable`, { cause });
    this.fallback ??= new MemoryCounters(this.options);
    return local(this.fallback);
  }
}

function finishStatus(code: number): SettleStatus {
  return code === 1 ? 'settled' : code === 0 ? 'duplicate' : 'unknown';
}

function isUnavailable(error: unknown): boolean {
  const message = String((error as Error)?.message ?? error);
  return /Connection is closed|Stream isn't writeable|enableOfflineQueue|timed out|ECONNREFUSED|ECONNRESET|EPIPE|max retries|MaxRetriesPerRequest/i.test(message)
    || (error as { name?: string })?.name === 'MaxRetriesPerRequestError';
}

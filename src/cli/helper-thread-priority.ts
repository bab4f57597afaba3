import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Where helper threads go while the event loop has idle time: the lowest nice (weight 15 against the loop's 1024). */
export const LOW_NICE = 19;

export type HelperLevel = 'low' | 'normal';

export interface HelperPriorityOptions {
  /** How often the event loop's utilization is sampled (ms). */
  sampleMs?: number;
  /** A low level turns normal once a sample's utilization reaches this. */
  normalFrom?: number;
  /** A normal level turns low again once a sample's utilization is below this. */
  lowBelow?: number;
}

const DEFAULTS: Required<HelperPriorityOptions> = { sampleMs: 500, normalFrom: 0.9, lowBelow: 0.8 };

/** The level helper threads should run at after a sample of the event loop's utilization (0-1), with hysteresis. */
export function nextHelperLevel(current: HelperLevel, utilization: number, options: Required<HelperPriorityOptions> = DEFAULTS): HelperLevel {
  if (current === 'low') return utilization >= options.normalFrom ? 'normal' : 'low';
  return utilization < options.lowBelow ? 'low' : 'normal';
}

/** Threads of this process other than the main one (Linux: /proc/self/task), or null where that cannot be read. */
export function otherThreadIds(): number[] | null {
  try {
    return readdirSync('/proc/self/task').map(Number).filter((tid) => Number.isInteger(tid) && tid > 0 && tid !== process.pid);
  } catch {
    return null;
  }
}

/**
 * Runs the process's helper threads (V8's compiler and GC workers, libuv's pool) at nice 19 while the event loop has
 * idle time, and at their normal priority (the process's nice, 0 unless started under `nice`) while it is saturated.
 *
 * Why: on a core the gateway shares with them, V8's worker threads preempt the event loop for whole scheduler slices
 * (2-5 ms runs of TurboFan compiling, seen with perf on the gateway's core), and at one connection that is the tail
 * of the latency. At nice 19 (weight 15 against the loop's 1024) a request that wakes the loop mostly preempts them
 * (TurboFan inside cycles slower than 2 ms: 60 of a traced cell's 133 ms of compiling, against 135 of 183 without),
 * and the helpers still finish their work in the loop's idle time (one-connection benchmark cells, alternating pairs:
 * added p99 lower by 0.19-0.69 ms in 4 of 8, within 0.06 ms in the other 4). A saturated loop has no idle time: kept
 * low there (nice 19 or SCHED_IDLE all the time), the helpers cost 3-8 % of the RPS at 64 connections and 1-8 % more
 * CPU per call, likely optimized code arriving later and marking left to the main thread (not measured apart), so
 * there they run at their normal priority again.
 *
 * Linux only (per-thread nice). Raising a thread back needs CAP_SYS_NICE or a RLIMIT_NICE allowance: `start` tries it
 * on one thread first and does nothing where it is not allowed.
 */
export class AdaptiveHelperPriority {
  private level: HelperLevel = 'normal';
  private sample: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout;
  private switches = 0;
  private lowSince = 0;
  private lowMs = 0;
  private readonly options: Required<HelperPriorityOptions>;

  /** @param normalNice the nice the threads had (the process's): where they go back to. */
  private constructor(private threads: number[], private readonly normalNice: number, options: HelperPriorityOptions) {
    this.options = { ...DEFAULTS, ...options };
    this.timer = setInterval(() => this.look(), this.options.sampleMs);
    this.timer.unref();
  }

  /**
   * Starts adapting the threads of this process that exist now, other than the main one: call it before starting
   * worker threads that set their own priority. Null where it cannot work (not Linux, no helper threads, or not
   * allowed to raise a thread back to the normal priority).
   */
  static start(options: HelperPriorityOptions = {}): AdaptiveHelperPriority | null {
    const threads = otherThreadIds();
    if (!threads?.length) return null;
    // A gateway started under `nice N` keeps N as the normal level (going lower would also need privileges).
    const normalNice = getPriority(process.pid);
    if (normalNice >= LOW_NICE || !canRestore(threads[0]!, normalNice)) return null;
    return new AdaptiveHelperPriority(threads, normalNice, options);
  }

  /** Threads adapted, the level now, how many times it changed and how long in all the helpers ran low. */
  stats(): { threads: number; level: HelperLevel; switches: number; lowMs: number } {
    const lowMs = this.lowMs + (this.level === 'low' ? performance.now() - this.lowSince : 0);
    return { threads: this.threads.length, level: this.level, switches: this.switches, lowMs: Math.round(lowMs) };
  }

  /** Stops adapting and puts the threads back at the normal priority. */
  stop(): void {
    clearInterval(this.timer);
    this.apply('normal');
  }

  private look(): void {
    const { utilization } = performance.eventLoopUtilization(this.sample);
    this.sample = performance.eventLoopUtilization();
    this.apply(nextHelperLevel(this.level, utilization, this.options));
  }

  private apply(level: HelperLevel): void {
    if (level === this.level) return;
    const nice = level === 'low' ? LOW_NICE : this.normalNice;
    // A thread that has exited (ESRCH) is dropped; any other refusal leaves that thread where it is.
    this.threads = this.threads.filter((tid) => {
      try {
        setPriority(tid, nice);
        return true;
      } catch (error) {
        return (error as { info?: { code?: string } }).info?.code !== 'ESRCH';
      }
    });
    const now = performance.now();
    if (level === 'low') this.lowSince = now;
    else this.lowMs += now - this.lowSince;
    this.level = level;
    this.switches++;
  }
}

/** Whether this process may raise a thread it lowered back to `normalNice` (tried one step down on one thread). */
function canRestore(tid: number, normalNice: number): boolean {
  try {
    if (getPriority(tid) !== normalNice) return false;
    setPriority(tid, normalNice + 1);
  } catch {
    return false;
  }
  try {
    setPriority(tid, normalNice);
    return true;
  } catch {
    return false;
  }
}

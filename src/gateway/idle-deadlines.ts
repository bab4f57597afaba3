/** A call that must not stay silent longer than the timeout of the IdleDeadlines watching it. */
export interface IdleWatch {
  /** Sweep count at the call's last sign of progress (set by IdleDeadlines). */
  seenAt: number;
  /** Progress seen at that sweep (set by IdleDeadlines). */
  seenProgress: number;
  /** A number that changes whenever the call makes progress (bytes received, say). */
  progress(): number;
  /** Called once, when the call has made no progress for the timeout. */
  expire(): void;
}

/**
 * Upstream calls checked for silence by one coarse interval timer instead of timers per call. undici's
 * headersTimeout/bodyTimeout arm two timers per request on a keep-alive connection (a fast timer for the wait and a
 * native one for the idle connection, re-created on every switch), and a cleared fast timer stays referenced until
 * undici's next tick, 0.5-1 s later: per call, timer objects that outlive V8's young generation and are promoted.
 * Here a call costs one Set entry. A call expires after `timeoutMs` to `timeoutMs` + 2 ticks of silence (a tick is an
 * eighth of the timeout, 10 ms to 1 s), never earlier. Progress is polled at each tick, so the hot path writes nothing.
 */
export class IdleDeadlines {
  private readonly watches = new Set<IdleWatch>();
  private readonly tickMs: number;
  private readonly ticks: number;
  private tick = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(timeoutMs: number) {
    this.tickMs = Math.min(1_000, Math.max(10, Math.ceil(timeoutMs / 8)));
    this.ticks = Math.ceil(timeoutMs / this.tickMs);
  }

  /** Starts watching `watch`; its silence counts from now. */
  watch(watch: IdleWatch): void {
    watch.seenAt = this.tick;
    watch.seenProgress = watch.progress();
    this.watches.add(watch);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      // Never keeps the process alive by itself: the sockets of the calls it watches do.
      this.timer.unref();
    }
  }

  /** Counts now as progress (the answer's headers arrived, say). */
  touch(watch: IdleWatch): void {
    watch.seenAt = this.tick;
    watch.seenProgress = watch.progress();
  }

  /** Stops watching `watch` (it finished, failed or was abandoned). */
  unwatch(watch: IdleWatch): void {
    this.watches.delete(watch);
  }

  /** Calls being watched. */
  get size(): number {
    return this.watches.size;
  }

  /** Stops the timer; calls still watched are left as they are. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private sweep(): void {
    const tick = ++this.tick;
    for (const watch of this.watches) {
      const progress = watch.progress();
      if (progress !== watch.seenProgress) {
        watch.seenProgress = progress;
        watch.seenAt = tick;
      } else if (tick - watch.seenAt > this.ticks) {
        this.watches.delete(watch);
        watch.expire();
      }
    }
    if (this.watches.size === 0) this.close();
  }
}

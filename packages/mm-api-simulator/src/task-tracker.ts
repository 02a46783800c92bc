/**
 * Tracks the webhook machinery's timers and in-flight work, so that `webhooksIdle()` can tell
 * when nothing is left and `stop()`/`reset()` can cancel every timer.
 */
export class TaskTracker {
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private closed = false;

  /**
   * Runs `task` after `delayMs` (real time). A task that throws is logged, not rethrown: it
   * runs in a timer, where a throw would take the whole process down. No-op once closed.
   */
  schedule(delayMs: number, task: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        try {
          task();
        } catch (error) {
          console.error('[simulator] webhook task failed:', error);
        } finally {
          this.settleIfIdle();
        }
      },
      Math.max(0, delayMs),
    );
    this.timers.add(timer);
  }

  /** Counts `work` as in flight until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight += 1;
    const done = (): void => {
      this.inFlight -= 1;
      this.settleIfIdle();
    };
    work.then(done, done);
    return work;
  }

  /** Timers scheduled plus work in flight. */
  get pending(): number {
    return this.timers.size + this.inFlight;
  }

  /** Resolves once nothing is scheduled or in flight (at once if that is already so). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Clears every timer (in-flight work is its owner's to abort). */
  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.settleIfIdle();
  }

  /** Cancels every timer and refuses new ones: for `stop()`. */
  close(): void {
    this.closed = true;
    this.cancelTimers();
  }

  private settleIfIdle(): void {
    if (this.pending > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

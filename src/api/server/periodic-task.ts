import type { Logger } from "../../log/logger.ts";

/**
 * Runs `work` every `intervalMs` and on `kick()`, never twice at once: a kick
 * while a run is in flight is dropped (the next tick catches up). Failures are
 * logged and retried on the next tick.
 */
export class PeriodicTask {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  kick(): void {
    if (this.running) return;
    this.running = this.work()
      .catch((error) => this.log.warn(`${this.what} failed; will retry`, { error }))
      .finally(() => {
        this.running = null;
      });
  }
}

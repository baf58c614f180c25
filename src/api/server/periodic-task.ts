import type { Logger } from "../../log/logger.ts";

/**
 * Runs `work` every `intervalMs` and on `kick()`, never twice at once: a kick
 * while a run is in flight is dropped (the next tick catches up). Failures are
 * logged and retried on the next tick. Nothing runs while `runIf` says no (a
 * server that does not lead).
 */
export class PeriodicTask {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly what: string,
    private readonly runIf: () => boolean = () => true,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  kick(): void {
    if (this.running || !this.runIf()) return;
    this.running = this.work()
      .catch((error) => this.log.warn(`${this.what} failed; will retry`, { error }))
      .finally(() => {
        this.running = null;
      });
  }
}

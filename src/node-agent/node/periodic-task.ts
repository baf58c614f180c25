export interface PeriodicTaskOptions {
  /** Time between the end of one run and the start of the next. */
  intervalMs: number;
  /** Delay before the first run (spreads many tasks started together); default 0. */
  firstDelayMs?: number;
  /** Delay after a failed run; defaults to the interval. */
  retryMs?: (failures: number) => number;
  run: () => Promise<void>;
  onError?: (error: unknown) => void;
}

/**
 * A task run again and again on one timer, never overlapping itself: the next
 * run is scheduled only when the previous one has finished, so a slow API
 * server is not flooded. `stop()` waits for a run in progress.
 */
export class PeriodicTask {
  readonly #options: PeriodicTaskOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #failures = 0;

  constructor(options: PeriodicTaskOptions) {
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(this.#options.firstDelayMs ?? 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, delayMs));
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    const run = (async () => {
      try {
        await this.#options.run();
        this.#failures = 0;
      } catch (error) {
        this.#failures++;
        this.#options.onError?.(error);
      }
    })();
    this.#running = run;
    await run;
    this.#running = undefined;
    const { intervalMs, retryMs } = this.#options;
    this.#schedule(this.#failures > 0 && retryMs ? retryMs(this.#failures) : intervalMs);
  }
}

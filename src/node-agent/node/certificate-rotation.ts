/** Longest single wait: timers cannot sleep for a year, and clocks jump. */
const MAX_WAIT_MS = 6 * 60 * 60 * 1000;

export interface CertificateRotationOptions {
  /** When the current certificate should be replaced. */
  renewAt: () => Date;
  /** Replaces it (and so moves `renewAt` on). */
  rotate: () => Promise<void>;
  onError?: (error: unknown, failures: number) => void;
  now?: () => Date;
}

/**
 * Replaces a certificate when its renewal time comes, retrying failures with
 * back-off (10 s doubling to 5 min) while the old certificate still serves.
 */
export class CertificateRotation {
  readonly #options: CertificateRotationOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #failures = 0;

  constructor(options: CertificateRotationOptions) {
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const now = (this.#options.now?.() ?? new Date()).getTime();
    const wait =
      this.#failures > 0
        ? Math.min(300_000, 10_000 * 2 ** (this.#failures - 1))
        : this.#options.renewAt().getTime() - now;
    this.#timer = setTimeout(() => void this.#tick(), Math.min(MAX_WAIT_MS, Math.max(0, wait)));
  }

  async #tick(): Promise<void> {
    const now = (this.#options.now?.() ?? new Date()).getTime();
    if (this.#failures === 0 && now < this.#options.renewAt().getTime()) return this.#schedule();
    this.#running = this.#options.rotate().then(
      () => {
        this.#failures = 0;
      },
      (error: unknown) => {
        this.#failures++;
        this.#options.onError?.(error, this.#failures);
      },
    );
    await this.#running;
    this.#running = undefined;
    this.#schedule();
  }
}

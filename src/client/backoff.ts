export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Fraction of each delay added at random, so many clients do not retry in step. */
  jitter?: number;
}

/**
 * Bounded, jittered exponential back-off for retry loops (client-go's
 * `wait.Backoff` as the reflector uses it: 800 ms doubling to 30 s).
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  #nextMs: number;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 800;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#jitter = options.jitter ?? 0.5;
    this.#nextMs = this.#initialMs;
  }

  /** The next delay; each call doubles the base up to the bound. */
  next(): number {
    const base = this.#nextMs;
    this.#nextMs = Math.min(this.#maxMs, base * 2);
    return Math.min(this.#maxMs, base * (1 + Math.random() * this.#jitter));
  }

  reset(): void {
    this.#nextMs = this.#initialMs;
  }

  /** Sleeps for the next delay; resolves early (without error) when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    const ms = this.next();
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

import { WorkQueue } from "./work-queue.ts";

export interface ItemBackoffOptions {
  /** First delay; client-go's default controller rate limiter starts at 5 ms. */
  baseMs?: number;
  /** Bound on the delay; client-go caps at 1000 s so a broken item still retries. */
  maxMs?: number;
}

/**
 * Per-item exponential back-off (client-go's ItemExponentialFailureRateLimiter):
 * the n-th failure of an item waits base·2ⁿ, capped; `forget` starts it over.
 */
export class ItemExponentialBackoff<T> {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failures = new Map<T, number>();

  constructor(options: ItemBackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 5;
    this.#maxMs = options.maxMs ?? 1_000_000;
  }

  /** The delay before the next retry of `item`; counts one more failure. */
  when(item: T): number {
    const failures = this.#failures.get(item) ?? 0;
    this.#failures.set(item, failures + 1);
    return Math.min(this.#maxMs, this.#baseMs * 2 ** failures);
  }

  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }

  forget(item: T): void {
    this.#failures.delete(item);
  }
}

/**
 * A WorkQueue with delayed and rate-limited adds, for controller workers:
 * on failure `addRateLimited(key)`, on success `forget(key)` (or the next
 * failure waits longer than it should), and `done(key)` either way.
 */
export class RateLimitingQueue<T> extends WorkQueue<T> {
  readonly limiter: ItemExponentialBackoff<T>;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(limiter: ItemExponentialBackoff<T> = new ItemExponentialBackoff<T>()) {
    super();
    this.limiter = limiter;
  }

  /** Adds `item` after `delayMs`; delayed adds still pending at shutdown are dropped. */
  addAfter(item: T, delayMs: number): void {
    if (this.isShuttingDown) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.add(item);
    }, delayMs);
    this.#timers.add(timer);
  }

  addRateLimited(item: T): void {
    this.addAfter(item, this.limiter.when(item));
  }

  forget(item: T): void {
    this.limiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.limiter.numRequeues(item);
  }

  override shutDown(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    super.shutDown();
  }
}

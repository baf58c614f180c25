/**
 * At most `limit` calls of `run` in flight; the rest wait their turn in order. The
 * binder uses it so a burst of decisions does not open a connection per binding
 * (HTTP/1.1 carries one request at a time, and each new TLS connection costs the
 * server a handshake).
 */
export class ConcurrencyLimit {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter.
      if (next) next();
      else this.#running--;
    }
  }
}

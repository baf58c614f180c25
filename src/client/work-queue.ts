/**
 * A work queue with client-go's guarantees (util/workqueue/doc.go):
 * - Fair: items are handed out in the order they were added, and waiting
 *   workers are served in the order they asked.
 * - Stingy: an item added several times before a worker takes it is
 *   processed once (deduplicated while pending).
 * - Exclusive: an item is never processed by two workers at once; an item
 *   added while it is being processed is queued again only when `done` is
 *   called for it, so the latest state is always handled.
 * - Clean shutdown: after `shutDown` no new items are accepted, workers drain
 *   what is queued and then `get` returns undefined; `shutDownWithDrain`
 *   also waits for the items in flight.
 * Items are compared with `===`/SameValueZero: use keys such as "ns/name".
 * Every item a worker takes must be handed back with `done`.
 */
export class WorkQueue<T> {
  readonly #queue: T[] = [];
  /** Items that need processing: queued, or re-added while in flight. */
  readonly #dirty = new Set<T>();
  readonly #processing = new Set<T>();
  readonly #waiters: ((item: T | undefined) => void)[] = [];
  readonly #drainWaiters: (() => void)[] = [];
  #shuttingDown = false;

  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#enqueue(item);
  }

  /** Queued items, not counting those in flight. */
  get length(): number {
    return this.#queue.length;
  }

  get isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** The next item, waiting while none is queued; undefined once shut down and drained. */
  get(): Promise<T | undefined> {
    const item = this.#take();
    if (item.found) return Promise.resolve(item.value);
    if (this.#shuttingDown && !this.#hasRedo()) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks an item processed; if it was added again meanwhile, it is queued again. */
  done(item: T): void {
    if (!this.#processing.delete(item)) return;
    if (this.#dirty.has(item)) this.#enqueue(item);
    else this.#settleDrain();
  }

  /** Stops accepting items; waiting workers get undefined once the queue is empty. */
  shutDown(): void {
    this.#shuttingDown = true;
    this.#settleDrain();
  }

  /** Shuts down and resolves when every queued and in-flight item is done. */
  shutDownWithDrain(): Promise<void> {
    const drained = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    this.shutDown();
    return drained;
  }

  #enqueue(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(item);
      this.#processing.add(item);
      waiter(item);
    } else {
      this.#queue.push(item);
    }
  }

  #take(): { found: true; value: T } | { found: false } {
    if (this.#queue.length === 0) return { found: false };
    const value = this.#queue.shift() as T;
    this.#dirty.delete(value);
    this.#processing.add(value);
    return { found: true, value };
  }

  /** An in-flight item that was added again and will be queued when done. */
  #hasRedo(): boolean {
    for (const item of this.#processing) if (this.#dirty.has(item)) return true;
    return false;
  }

  #settleDrain(): void {
    if (!this.#shuttingDown || this.#queue.length > 0 || this.#hasRedo()) return;
    // Idle workers are released now; drain waiters once nothing is in flight.
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
    if (this.#processing.size > 0) return;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }
}

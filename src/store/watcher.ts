import { WatcherOverflowError } from "./errors.ts";
import type { WatchEvent } from "./watch-event.ts";

/**
 * One watch: an async iterator of the events under a key prefix. The feed pushes
 * into it; the consumer pulls at its own pace. Errors (expired, overflow, store
 * closed) end the iteration by throwing from `next()`.
 */
export class Watcher implements AsyncIterableIterator<WatchEvent> {
  /** Revision up to which this watcher has been given every matching event. */
  cursor: number;
  /** Whether it receives events straight from the feed (false while catching up). */
  live = false;
  closed = false;

  private buffer: WatchEvent[] = [];
  private taken = 0;
  private head = 0;
  private failure: unknown = null;
  private waiting: {
    resolve: (result: IteratorResult<WatchEvent>) => void;
    reject: (error: unknown) => void;
  } | null = null;

  constructor(
    readonly prefix: string,
    after: number,
    /** Undelivered events it may hold before it is closed as too slow. */
    private readonly maxBacklog: number,
    private readonly onClose: (watcher: Watcher) => void,
  ) {
    this.cursor = after;
  }

  matches(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  /** Adds events in revision order; callers pass only those above `cursor`. */
  push(event: WatchEvent): void {
    if (this.closed) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      this.taken = event.revision;
      resolve({ value: event, done: false });
      return;
    }
    this.buffer.push(event);
    if (this.buffer.length - this.head > this.maxBacklog) {
      this.fail(new WatcherOverflowError(this.buffer.length - this.head));
    }
  }

  fail(error: unknown): void {
    if (this.closed) return;
    // The consumer resumes from the last event it took; what is buffered can go.
    this.buffer = [];
    this.head = 0;
    this.failure = error;
    this.finish();
  }

  close(): void {
    if (this.closed) return;
    this.buffer = [];
    this.head = 0;
    this.finish();
  }

  /**
   * The revision up to which the consumer has taken every matching event: the
   * feed's cursor once the buffer is empty, else the last event taken.
   */
  get progress(): number {
    return this.head < this.buffer.length ? this.taken : this.cursor;
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head++] as WatchEvent;
      this.taken = value.revision;
      if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<WatchEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent> {
    return this;
  }

  private finish(): void {
    this.closed = true;
    this.onClose(this);
    if (this.waiting) {
      const { resolve, reject } = this.waiting;
      this.waiting = null;
      if (this.failure) reject(this.failure);
      else resolve({ value: undefined, done: true });
    }
  }
}

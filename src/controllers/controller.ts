/**
 * The loop every controller here runs, in the shape of kubernetes/sample-controller:
 * informer handlers only put keys on a rate-limiting queue, workers take one key at a
 * time and call `sync(key)`, which reads the informer caches and writes differences.
 * The queue's guarantees (fair, deduplicated while pending, never the same key in two
 * workers at once) are the WorkQueue's; see src/client/work-queue.ts.
 */
import type { ApiClient } from "../client/api-client.ts";
import { ApiError } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { RateLimitingQueue } from "../client/rate-limiting-queue.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";

/** The API calls controllers make; an ApiClient is one, a recording fake in tests is another. */
export type ControllerClient = Pick<
  ApiClient,
  "get" | "list" | "watch" | "create" | "update" | "updateStatus" | "patch" | "delete"
>;

/** A failure retrying cannot fix (a request that does not parse): logged once, key dropped. */
export class PermanentError extends Error {
  override name = "PermanentError";
}

/**
 * An expected wait (access not granted yet, a Node not registered yet): retried with
 * back-off like any failure, but logged at debug because it is not a fault.
 */
export class IgnorableError extends Error {
  override name = "IgnorableError";
}

export interface ControllerLoopOptions {
  log: Logger;
  /** Reconciles one key. Throwing retries it with back-off (see the error classes above). */
  sync(key: string): Promise<void>;
  /** Concurrent workers; distinct keys only, so one is enough for small controllers. */
  workers?: number;
}

export class ControllerLoop {
  readonly queue = new RateLimitingQueue<string>();
  readonly #options: ControllerLoopOptions;
  readonly #workers: Promise<void>[] = [];
  #stopped = false;

  constructor(options: ControllerLoopOptions) {
    this.#options = options;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts the workers; call it once the informers have synced, so sync sees a full cache. */
  start(): void {
    for (let i = 0; i < (this.#options.workers ?? 1); i++) this.#workers.push(this.#work());
  }

  /**
   * Stops at once: queued keys are dropped (a new leader relists anyway) and only the
   * syncs in flight are awaited.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.queue.shutDown();
    await Promise.all(this.#workers);
  }

  /** Takes one key and syncs it; false once the queue is shut down. */
  async processNext(): Promise<boolean> {
    const key = await this.queue.get();
    if (key === undefined) return false;
    try {
      if (this.#stopped) return false;
      await this.#options.sync(key);
      this.queue.forget(key);
    } catch (error) {
      this.#failed(key, error);
    } finally {
      this.queue.done(key);
    }
    return true;
  }

  async #work(): Promise<void> {
    while (await this.processNext()) {}
  }

  #failed(key: string, error: unknown): void {
    const { log } = this.#options;
    if (error instanceof PermanentError) {
      log.warn("dropping key that cannot succeed", { key, error });
      this.queue.forget(key);
      return;
    }
    const fields = { key, error, retries: this.queue.numRequeues(key) };
    if (error instanceof IgnorableError) log.debug("sync will be retried", fields);
    else log.warn("sync failed, will retry", fields);
    this.queue.addRateLimited(key);
  }
}

/** Enqueues each object's key when it is added and whenever it really changes. */
export function enqueueChanges(informer: Informer, loop: ControllerLoop): void {
  informer.addEventHandler({
    onAdd: (object) => loop.enqueue(objectKey(object)),
    onUpdate: (old, object) => {
      if (!isResync(old, object)) loop.enqueue(objectKey(object));
    },
  });
}

/** A periodic resync delivers the same object twice; controllers that react to change skip it. */
export function isResync(oldObject: KubeObject, newObject: KubeObject): boolean {
  const version = newObject.metadata?.resourceVersion;
  return version !== undefined && oldObject.metadata?.resourceVersion === version;
}

export const isAlreadyExists = (error: unknown): boolean =>
  error instanceof ApiError && error.code === 409 && error.reason === "AlreadyExists";

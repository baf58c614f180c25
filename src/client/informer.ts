import type { KubeObject } from "../resources/kind.ts";
import { type IndexFunction, ObjectStore, objectKey } from "./object-store.ts";
import {
  type ListerWatcher,
  Reflector,
  type ReflectorOptions,
  type ReflectorSink,
} from "./reflector.ts";

/**
 * Callbacks for changes in an informer's cache. Handlers receive the cached
 * instances: copy before changing. A handler may return a promise; the next
 * notification for that listener waits for it, other listeners do not.
 * `onUpdate` with the same resourceVersion on both sides is a resync:
 * controllers that only react to change skip it.
 */
export interface EventHandler<T extends KubeObject> {
  onAdd?(object: T): void | Promise<void>;
  onUpdate?(oldObject: T, newObject: T): void | Promise<void>;
  onDelete?(object: T): void | Promise<void>;
}

export interface InformerOptions<T extends KubeObject> extends ReflectorOptions {
  /** Redeliver every cached object as onUpdate(obj, obj) this often; off when absent. */
  resyncPeriodMs?: number;
  indexers?: Record<string, IndexFunction<T>>;
}

type Notification<T> =
  | { type: "add"; object: T }
  | { type: "update"; oldObject: T; newObject: T }
  | { type: "delete"; object: T };

/**
 * One collection mirrored in memory (client-go's SharedIndexInformer): a
 * Reflector feeds an ObjectStore, and every change fans out to the listeners,
 * each through its own unbounded buffer so a slow handler delays only itself.
 */
export class Informer<T extends KubeObject = KubeObject> implements ReflectorSink<T> {
  readonly store: ObjectStore<T>;
  readonly reflector: Reflector<T>;
  readonly #listeners = new Set<Listener<T>>();
  readonly #resyncPeriodMs: number | undefined;
  #resyncTimer: ReturnType<typeof setInterval> | undefined;
  #synced = false;
  #syncWaiters: (() => void)[] = [];

  constructor(client: ListerWatcher, options: InformerOptions<T>) {
    this.store = new ObjectStore<T>(options.indexers);
    this.reflector = new Reflector<T>(client, this, options);
    this.#resyncPeriodMs = options.resyncPeriodMs;
  }

  /**
   * Registers handlers. A listener added after the first sync first receives
   * onAdd for everything already cached, so late listeners miss nothing.
   * Returns a function that removes the listener.
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    const listener = new Listener(handler);
    this.#listeners.add(listener);
    for (const object of this.store.list()) listener.push({ type: "add", object });
    return () => {
      listener.stop();
      this.#listeners.delete(listener);
    };
  }

  start(): void {
    this.reflector.start();
    if (this.#resyncPeriodMs && !this.#resyncTimer) {
      this.#resyncTimer = setInterval(() => this.#resync(), this.#resyncPeriodMs);
    }
  }

  /** True once the first complete list is in the cache. */
  hasSynced(): boolean {
    return this.#synced;
  }

  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    clearInterval(this.#resyncTimer);
    this.#resyncTimer = undefined;
    await this.reflector.stop();
    for (const listener of this.#listeners) listener.stop();
    this.#listeners.clear();
  }

  replace(objects: T[], _resourceVersion: string): void {
    const seen = new Set<string>();
    for (const object of objects) {
      const key = objectKey(object);
      seen.add(key);
      const old = this.store.get(key);
      // A relist returns everything; what did not change is not news.
      if (old?.metadata?.resourceVersion === object.metadata?.resourceVersion && old) continue;
      this.store.set(object);
      this.#notify(
        old ? { type: "update", oldObject: old, newObject: object } : { type: "add", object },
      );
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const old = this.store.delete(key);
      if (old) this.#notify({ type: "delete", object: old });
    }
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  added(object: T): void {
    this.modified(object);
  }

  modified(object: T): void {
    const old = this.store.set(object);
    this.#notify(
      old ? { type: "update", oldObject: old, newObject: object } : { type: "add", object },
    );
  }

  deleted(object: T): void {
    const old = this.store.delete(objectKey(object));
    this.#notify({ type: "delete", object: old ?? object });
  }

  #resync(): void {
    for (const object of this.store.list()) {
      this.#notify({ type: "update", oldObject: object, newObject: object });
    }
  }

  #notify(notification: Notification<T>): void {
    for (const listener of this.#listeners) listener.push(notification);
  }
}

/** One handler with its own buffer and its own delivery loop. */
class Listener<T extends KubeObject> {
  readonly #handler: EventHandler<T>;
  #buffer: Notification<T>[] = [];
  #delivering = false;
  #stopped = false;

  constructor(handler: EventHandler<T>) {
    this.#handler = handler;
  }

  push(notification: Notification<T>): void {
    if (this.#stopped) return;
    this.#buffer.push(notification);
    if (this.#delivering) return;
    this.#delivering = true;
    // Deliver after the current change is fully applied to the store, never inside it.
    queueMicrotask(() => void this.#deliver());
  }

  stop(): void {
    this.#stopped = true;
    this.#buffer = [];
  }

  async #deliver(): Promise<void> {
    try {
      for (let next = this.#buffer.shift(); next; next = this.#buffer.shift()) {
        try {
          await this.#call(next);
        } catch (error) {
          // A failing handler must not lose the notifications after it.
          console.error("informer: event handler failed", error);
        }
      }
    } finally {
      this.#delivering = false;
    }
  }

  #call(n: Notification<T>): void | Promise<void> {
    if (n.type === "add") return this.#handler.onAdd?.(n.object);
    if (n.type === "update") return this.#handler.onUpdate?.(n.oldObject, n.newObject);
    return this.#handler.onDelete?.(n.object);
  }
}

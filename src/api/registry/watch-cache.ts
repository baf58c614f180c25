import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { RevisionStore } from "../../store/revision-store.ts";
import type { Watcher } from "../../store/watcher.ts";

export type CacheEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface CacheEvent {
  type: CacheEventType;
  key: string;
  /** The object after the change (for DELETED: its last state, at the delete's revision). */
  object: KubeObject;
  /** The object before the change; null for ADDED. */
  prevObject: KubeObject | null;
  revision: number;
}

/** Turns a stored value and its revision into the object clients see. */
export type ObjectDecoder = (value: string, revision: number) => KubeObject;

export interface CacheListener {
  /** Called synchronously for every event, in revision order; must not block. */
  onEvent(event: CacheEvent): void;
  /**
   * Only events whose object (or previous object) has this value in this field can
   * matter to the listener (its field selector requires it): the cache then hands it
   * only those, as upstream's watch cache indexes pod watchers by spec.nodeName.
   */
  readonly index?: { field: string; value: string } | undefined;
  /** The cache stopped (store closed or watch expired); the listener is dropped. */
  onClose(error: unknown): void;
}

/** Events kept for watches that resume from a resourceVersion (upstream keeps a similar window). */
const eventWindow = 10_000;

/**
 * The watch cache of one resource (hot path): the current objects under a key
 * prefix, kept in memory from the store's watch feed, plus a window of recent
 * events. Lists and watches are served from here, so the database sees one
 * watch per resource and server however many clients watch.
 *
 * Objects handed out are shared: callers must copy before changing them.
 */
export class WatchCache {
  /** Every event up to this revision is applied. */
  revision = 0;
  private readonly objects = new Map<string, { object: KubeObject; revision: number }>();
  private events: CacheEvent[] = [];
  /** The oldest revision a watch may resume from: events after it are all in `events`. */
  private floor = 0;
  private readonly listeners = new Set<CacheListener>();
  /** Listeners with an index: field → value → listeners. */
  private readonly indexed = new Map<string, Map<string, Set<CacheListener>>>();
  /** Keys in order, rebuilt only after a key is added or removed (not on every list). */
  private sortedKeys: string[] | null = null;
  /** JSON of cached objects, made once per object version (objects here never change). */
  private readonly encoded = new WeakMap<KubeObject, string>();
  private watcher: Watcher | null = null;
  private ready: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly store: RevisionStore,
    readonly prefix: string,
    private readonly decode: ObjectDecoder,
    private readonly log: Logger,
    /** A field-selector field's value in an object; without it no listener is indexed. */
    private readonly fieldValue?: (object: KubeObject, field: string) => string | undefined,
  ) {}

  /** Loads the current state and starts following the feed (once). */
  start(): Promise<void> {
    this.ready ??= this.load();
    return this.ready;
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
  }

  /**
   * Resolves when the cache holds every write committed before the call:
   * a consistent read, like a quorum read from etcd.
   */
  async waitFresh(): Promise<void> {
    await this.start();
    const target = await this.store.currentRevision();
    await this.store.waitForRevision(target);
    // The feed hands events over synchronously; the loop below takes them in
    // microtasks, so after a macrotask turn the cache has caught up.
    while (this.progress() < target) {
      if (this.stopped) throw new Error("watch cache stopped");
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Objects in key order (shared: read them, never change them). */
  list(): { objects: KubeObject[]; revision: number } {
    this.sortedKeys ??= [...this.objects.keys()].sort();
    const objects: KubeObject[] = [];
    for (const key of this.sortedKeys)
      objects.push((this.objects.get(key) as { object: KubeObject }).object);
    return { objects, revision: this.progress() };
  }

  /** The JSON of an object handed out by this cache, encoded once (hot path: lists). */
  encode(object: KubeObject): string {
    let json = this.encoded.get(object);
    if (json === undefined) {
      json = JSON.stringify(object);
      this.encoded.set(object, json);
    }
    return json;
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key)?.object;
  }

  /**
   * Events after `revision`, or null if they are no longer in the window (the
   * client must list again: 410 Gone).
   */
  eventsSince(revision: number): CacheEvent[] | null {
    if (revision < this.floor) return null;
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.events[mid] as CacheEvent).revision <= revision) low = mid + 1;
      else high = mid;
    }
    return this.events.slice(low);
  }

  addListener(listener: CacheListener): void {
    const index = listener.index;
    if (index && this.fieldValue) {
      const byValue = this.indexed.get(index.field) ?? new Map<string, Set<CacheListener>>();
      this.indexed.set(index.field, byValue);
      const set = byValue.get(index.value) ?? new Set<CacheListener>();
      byValue.set(index.value, set);
      set.add(listener);
      return;
    }
    this.listeners.add(listener);
  }

  removeListener(listener: CacheListener): void {
    this.listeners.delete(listener);
    const index = listener.index;
    const set = index && this.indexed.get(index.field)?.get(index.value);
    if (set) {
      set.delete(listener);
      if (set.size === 0) this.indexed.get(index.field)?.delete(index.value);
    }
  }

  private progress(): number {
    return Math.max(this.revision, this.watcher?.progress ?? 0);
  }

  private async load(): Promise<void> {
    let page = await this.store.list(this.prefix, { limit: 5000 });
    const snapshot = page.revision;
    for (;;) {
      for (const kv of page.items) {
        this.objects.set(kv.key, {
          object: this.decode(kv.value, kv.revision),
          revision: kv.revision,
        });
      }
      if (!page.more) break;
      const last = page.items[page.items.length - 1]?.key;
      page = await this.store.list(this.prefix, {
        limit: 5000,
        revision: snapshot,
        startAfter: last,
      });
    }
    this.sortedKeys = null;
    this.revision = snapshot;
    this.floor = snapshot;
    this.watcher = this.store.watch(this.prefix, snapshot);
    void this.follow(this.watcher);
  }

  private async follow(watcher: Watcher): Promise<void> {
    try {
      for await (const event of watcher) {
        // Already in the snapshot this cache loaded (the store never sends these; kept
        // as a guard because the event window must stay in revision order).
        if (event.revision <= this.revision) continue;
        const previous = this.objects.get(event.key);
        let cacheEvent: CacheEvent;
        if (event.type === "put") {
          const object = this.decode(event.value as string, event.revision);
          if (!previous) this.sortedKeys = null;
          this.objects.set(event.key, { object, revision: event.revision });
          cacheEvent = {
            type: previous ? "MODIFIED" : "ADDED",
            key: event.key,
            object,
            prevObject: previous?.object ?? null,
            revision: event.revision,
          };
        } else {
          this.objects.delete(event.key);
          this.sortedKeys = null;
          const last = previous?.object ?? this.decode(event.prevValue ?? "{}", event.revision);
          cacheEvent = {
            type: "DELETED",
            key: event.key,
            object: withResourceVersion(last, event.revision),
            prevObject: previous?.object ?? null,
            revision: event.revision,
          };
        }
        this.revision = event.revision;
        this.events.push(cacheEvent);
        if (this.events.length > eventWindow * 2) {
          this.events = this.events.slice(this.events.length - eventWindow);
          this.floor = (this.events[0] as CacheEvent).revision - 1;
        }
        this.dispatch(cacheEvent);
      }
    } catch (error) {
      if (!this.stopped) this.log.warn("watch cache lost its feed", { prefix: this.prefix, error });
      const all = [...this.listeners];
      for (const byValue of this.indexed.values())
        for (const set of byValue.values()) all.push(...set);
      for (const listener of all) listener.onClose(error);
      this.listeners.clear();
      this.indexed.clear();
      // Start over from a fresh list on next use.
      this.objects.clear();
      this.sortedKeys = null;
      this.events = [];
      this.ready = null;
      this.watcher = null;
      if (!this.stopped) void this.start().catch(() => {});
    }
  }

  private dispatch(event: CacheEvent): void {
    for (const listener of this.listeners) listener.onEvent(event);
    const fieldValue = this.fieldValue;
    if (!fieldValue || this.indexed.size === 0) return;
    for (const [field, byValue] of this.indexed) {
      const now = fieldValue(event.object, field) ?? "";
      for (const listener of byValue.get(now) ?? []) listener.onEvent(event);
      const before = event.prevObject ? (fieldValue(event.prevObject, field) ?? "") : now;
      if (before !== now) for (const listener of byValue.get(before) ?? []) listener.onEvent(event);
    }
  }
}

/** A deleted object carries the delete's revision, as upstream's watch does. */
function withResourceVersion(object: KubeObject, revision: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
}

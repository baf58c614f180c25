import type { KubeObject } from "../../resources/kind.ts";
import { apiVersionOf } from "../../resources/kind-registry.ts";
import { badRequest, expired } from "../errors/status-error.ts";
import type { ResourceRegistry } from "./resource-registry.ts";
import type { ObjectPredicate } from "./selection.ts";
import type { CacheEvent, CacheListener } from "./watch-cache.ts";

export type ApiWatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface ApiWatchEvent {
  type: ApiWatchEventType;
  object: KubeObject;
}

export interface WatchOptions {
  predicate: ObjectPredicate | null;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  sendInitialEvents?: boolean;
  allowWatchBookmarks?: boolean;
}

/** Events a watch may queue for a slow client before it is ended (the client resumes). */
const maxQueued = 10_000;

/**
 * One client's watch, fed by the resource's watch cache (hot path: every event
 * of the resource passes `onEvent` of every watch on it). Selectors turn an
 * object that stops matching into DELETED and one that starts matching into
 * ADDED, as upstream does.
 */
export class ObjectWatch implements CacheListener, AsyncIterableIterator<ApiWatchEvent> {
  private queue: ApiWatchEvent[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<ApiWatchEvent>) => void) | null = null;
  private ended = false;
  /** The resourceVersion of the last event handed to the client (for bookmarks). */
  revision: number;
  readonly index: { field: string; value: string } | undefined;

  private constructor(
    private readonly registry: ResourceRegistry,
    private readonly namespace: string,
    private readonly predicate: ObjectPredicate | null,
    startRevision: number,
  ) {
    this.revision = startRevision;
    this.index = predicate?.index;
  }

  static async open(
    registry: ResourceRegistry,
    namespace: string,
    options: WatchOptions,
  ): Promise<ObjectWatch> {
    const cache = registry.cache;
    const rv = options.resourceVersion ?? "";
    if (rv !== "" && !/^\d+$/.test(rv)) {
      throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a number`);
    }
    if (options.sendInitialEvents) {
      if (options.resourceVersionMatch !== "NotOlderThan") {
        throw badRequest(
          "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        );
      }
      if (!options.allowWatchBookmarks) {
        throw badRequest(
          "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true",
        );
      }
    }
    if (rv === "") await cache.waitFresh();
    else await cache.start();

    const initial = rv === "" || rv === "0" || options.sendInitialEvents === true;
    if (initial) {
      // Snapshot and subscription in one synchronous step: no event falls between.
      const { objects, revision } = cache.list();
      const watch = new ObjectWatch(registry, namespace, options.predicate, revision);
      for (const object of objects) {
        if (watch.wanted(object)) watch.push({ type: "ADDED", object });
      }
      if (options.sendInitialEvents)
        watch.push(watch.bookmark({ "k8s.io/initial-events-end": "true" }));
      cache.addListener(watch);
      return watch;
    }
    const from = Number(rv);
    const events = cache.eventsSince(from);
    if (events === null) {
      const status = expired(`too old resource version: ${from} (${cache.revision})`).status;
      const watch = new ObjectWatch(registry, namespace, options.predicate, from);
      watch.push({ type: "ERROR", object: status as unknown as KubeObject });
      watch.end();
      return watch;
    }
    const watch = new ObjectWatch(registry, namespace, options.predicate, from);
    for (const event of events) watch.onEvent(event);
    cache.addListener(watch);
    return watch;
  }

  /** A BOOKMARK event at the current revision. */
  bookmark(annotations?: Record<string, string>): ApiWatchEvent {
    const kind = this.registry.kind;
    const metadata: Record<string, unknown> = { resourceVersion: String(this.revision) };
    if (annotations) metadata.annotations = annotations;
    return {
      type: "BOOKMARK",
      object: { apiVersion: apiVersionOf(kind), kind: kind.kind, metadata },
    };
  }

  /** Moves the bookmark revision to the cache's when no event is pending. */
  catchUpRevision(): void {
    if (this.head >= this.queue.length)
      this.revision = Math.max(this.revision, this.registry.cache.revision);
  }

  onEvent(event: CacheEvent): void {
    // The client has everything up to the revision it started from (its list may
    // have come straight from the store, ahead of this cache).
    if (this.ended || event.revision <= this.revision) return;
    const now = this.wanted(event.object);
    if (event.type === "MODIFIED") {
      const before = event.prevObject !== null && this.wanted(event.prevObject);
      if (now && before) this.push({ type: "MODIFIED", object: event.object });
      else if (now) this.push({ type: "ADDED", object: event.object });
      else if (before) this.push({ type: "DELETED", object: event.object });
    } else if (now) {
      this.push({ type: event.type, object: event.object });
    }
    this.revision = Math.max(this.revision, event.revision);
  }

  onClose(): void {
    this.end();
  }

  next(): Promise<IteratorResult<ApiWatchEvent>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++] as ApiWatchEvent;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<ApiWatchEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ApiWatchEvent> {
    return this;
  }

  /** Stops the watch; events already queued are still delivered. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.registry.cache.removeListener(this);
    if (this.waiting && this.head >= this.queue.length) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  private wanted(object: KubeObject): boolean {
    if (this.namespace && object.metadata?.namespace !== this.namespace) return false;
    return !this.predicate || this.predicate(object);
  }

  push(event: ApiWatchEvent): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length - this.head > maxQueued) {
      // Too slow a reader: end the watch; client-go resumes from its last resourceVersion.
      this.queue = this.queue.slice(0, this.head);
      this.end();
    }
  }
}

/**
 * Events as upstream's record.EventRecorder writes them: one Event per distinct
 * (object, type, reason, message, source); a repeat bumps `count` and
 * `lastTimestamp` on the existing Event instead of creating another, so
 * `kubectl describe` shows "(x5 over 2m)". Recording never blocks or fails the
 * caller: a few writes run at once (repeats of one event in order), a backlog
 * beyond a thousand is dropped, and failures are only logged.
 */
import type { ApiClient } from "../client/api-client.ts";
import { isNotFound } from "../client/api-error.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorderOptions {
  client: Pick<ApiClient, "create" | "patch">;
  /** source.component and reportingComponent, e.g. "deployment-controller". */
  component: string;
  /** source.host, for components that run on a node. */
  host?: string;
  log: Logger;
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
  firstTimestamp: string;
}

/** How many distinct events are remembered for deduplication (upstream's LRU holds 4096). */
const CACHE_SIZE = 4096;

export const eventTimestamp = (date = new Date()): string =>
  date.toISOString().replace(/\.\d+Z$/, "Z");

/** Writes in flight at once: a busy scheduler records hundreds of events a second. */
const CONCURRENCY = 8;
/** Events waiting beyond this are dropped, as upstream's broadcaster drops them. */
const MAX_BACKLOG = 1000;

export class EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #seen = new Map<string, Seen>();
  /** Per deduplication key, the last write: a repeat waits for the Event it counts on. */
  readonly #tails = new Map<string, Promise<void>>();
  readonly #pending = new Set<Promise<void>>();
  readonly #slots: (() => void)[] = [];
  #active = 0;
  #dropped = 0;

  constructor(options: EventRecorderOptions) {
    this.#options = options;
  }

  /** Records an event about `object` (which must have kind, name and uid). */
  event(object: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.#pending.size >= MAX_BACKLOG) {
      if (this.#dropped++ % 1000 === 0) {
        this.#options.log.warn("too many events waiting; dropping", { dropped: this.#dropped });
      }
      return;
    }
    const meta = object.metadata ?? {};
    const key = JSON.stringify([
      meta.uid,
      object.kind,
      meta.namespace,
      meta.name,
      type,
      reason,
      message,
    ]);
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const write: Promise<void> = previous
      .then(() => this.#withSlot(() => this.#write(key, object, type, reason, message)))
      .finally(() => {
        this.#pending.delete(write);
        if (this.#tails.get(key) === write) this.#tails.delete(key);
      });
    this.#tails.set(key, write);
    this.#pending.add(write);
  }

  /** Resolves once every event recorded so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #withSlot(work: () => Promise<void>): Promise<void> {
    if (this.#active >= CONCURRENCY) {
      await new Promise<void>((resolve) => this.#slots.push(resolve));
    }
    this.#active++;
    try {
      await work();
    } finally {
      this.#active--;
      this.#slots.shift()?.();
    }
  }

  async #write(
    key: string,
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const { client, component, host, log } = this.#options;
    const meta = object.metadata ?? {};
    const namespace = meta.namespace || "default";
    const now = eventTimestamp();
    try {
      const seen = this.#seen.get(key);
      if (seen) {
        this.#seen.delete(key);
        this.#seen.set(key, seen);
        seen.count++;
        try {
          await client.patch(
            resourcePath({ version: "v1", resource: "events", namespace, name: seen.name }),
            { count: seen.count, lastTimestamp: now },
            "merge",
          );
          return;
        } catch (error) {
          // Expired or deleted meanwhile: start a new series.
          if (!isNotFound(error)) throw error;
          this.#seen.delete(key);
        }
      }
      const name = `${meta.name ?? "unknown"}.${(BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
      await client.create(resourcePath({ version: "v1", resource: "events", namespace }), {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          namespace: meta.namespace,
          name: meta.name,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        type,
        reason,
        message,
        source: { component, ...(host ? { host } : {}) },
        reportingComponent: component,
        reportingInstance: host ?? component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      this.#seen.set(key, { namespace, name, count: 1, firstTimestamp: now });
      if (this.#seen.size > CACHE_SIZE) {
        const oldest = this.#seen.keys().next().value;
        if (oldest !== undefined) this.#seen.delete(oldest);
      }
    } catch (error) {
      log.warn("could not record event", {
        object: `${meta.namespace}/${meta.name}`,
        reason,
        error,
      });
    }
  }
}

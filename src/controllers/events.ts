/**
 * Events as upstream's record.EventRecorder writes them: one Event per distinct
 * (object, type, reason, message, source); a repeat bumps `count` and
 * `lastTimestamp` on the existing Event instead of creating another, so
 * `kubectl describe` shows "(x5 over 2m)". Recording never blocks or fails the
 * caller: writes are queued in order and failures are only logged.
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

export class EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #seen = new Map<string, Seen>();
  #tail: Promise<void> = Promise.resolve();

  constructor(options: EventRecorderOptions) {
    this.#options = options;
  }

  /** Records an event about `object` (which must have kind, name and uid). */
  event(object: KubeObject, type: EventType, reason: string, message: string): void {
    const write = () => this.#write(object, type, reason, message);
    this.#tail = this.#tail.then(write, write);
  }

  /** Resolves once every event recorded so far is written (or failed). */
  flush(): Promise<void> {
    return this.#tail;
  }

  async #write(object: KubeObject, type: EventType, reason: string, message: string) {
    const { client, component, host, log } = this.#options;
    const meta = object.metadata ?? {};
    const namespace = meta.namespace || "default";
    const key = JSON.stringify([
      meta.uid,
      object.kind,
      meta.namespace,
      meta.name,
      type,
      reason,
      message,
    ]);
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

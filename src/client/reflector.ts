import type { KubeObject } from "../resources/kind.ts";
import type { ApiClient } from "./api-client.ts";
import { ApiError } from "./api-error.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";

/** What a reflector needs from a client; an ApiClient is one. */
export type ListerWatcher = Pick<ApiClient, "list" | "watch">;

/** Where a reflector delivers what it learns; the informer implements it. */
export interface ReflectorSink<T extends KubeObject> {
  /** The complete current state after a (re)list. */
  replace(objects: T[], resourceVersion: string): void;
  added(object: T): void;
  modified(object: T): void;
  deleted(object: T): void;
}

export interface ReflectorOptions {
  /** Collection path, e.g. `resourcePath({ version: "v1", resource: "pods" })`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the list; pages keep a big relist from holding one huge response. */
  pageSize?: number;
  backoff?: BackoffOptions;
  /** Called with each error the reflector recovers from (for logs and tests). */
  onError?: (error: unknown) => void;
}

/** Page size client-go's pager uses. */
const defaultPageSize = 500;

/**
 * Keeps a sink in step with one collection, like client-go's Reflector: list,
 * then watch from the list's resourceVersion; when a watch ends, watch again
 * from the last resourceVersion seen (bookmarks advance it without an
 * object); on 410 Gone list again; on any other failure back off (bounded,
 * jittered) and retry. Runs until `stop()`.
 */
export class Reflector<T extends KubeObject = KubeObject> {
  readonly #client: ListerWatcher;
  readonly #sink: ReflectorSink<T>;
  readonly #options: ReflectorOptions;
  readonly #backoff: Backoff;
  readonly #abort = new AbortController();
  #lastResourceVersion = "";
  #listCount = 0;
  #running: Promise<void> | undefined;

  constructor(client: ListerWatcher, sink: ReflectorSink<T>, options: ReflectorOptions) {
    this.#client = client;
    this.#sink = sink;
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
  }

  /** The resourceVersion a re-watch would resume from. */
  get lastResourceVersion(): string {
    return this.#lastResourceVersion;
  }

  /** How many complete lists have been delivered (1 after the first sync). */
  get listCount(): number {
    return this.#listCount;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Ends the watch and the retry loop; resolves once nothing is running. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let mustList = true;
    while (!signal.aborted) {
      try {
        if (mustList) {
          await this.#list(signal);
          mustList = false;
        }
        const sawEvents = await this.#watch(signal);
        if (sawEvents) {
          this.#backoff.reset();
          continue;
        }
        // A watch that closes at once with nothing in it would otherwise spin.
        if (!signal.aborted) await this.#backoff.wait(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#options.onError?.(error);
        if (error instanceof ApiError && error.code === 410) {
          mustList = true;
          continue;
        }
        await this.#backoff.wait(signal);
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const { path, labelSelector, fieldSelector } = this.#options;
    const items: T[] = [];
    let resourceVersion = "";
    let continueToken: string | undefined;
    do {
      const page = await this.#client.list<T>(path, {
        labelSelector,
        fieldSelector,
        limit: this.#options.pageSize ?? defaultPageSize,
        continue: continueToken,
        signal,
      });
      items.push(...page.items);
      // The first page fixes the snapshot; later pages are read at that revision.
      resourceVersion ||= page.metadata.resourceVersion ?? "";
      continueToken = page.metadata.continue || undefined;
    } while (continueToken);
    this.#lastResourceVersion = resourceVersion;
    this.#sink.replace(items, resourceVersion);
    this.#listCount++;
  }

  /** One watch until it ends; true when it delivered anything. */
  async #watch(signal: AbortSignal): Promise<boolean> {
    const { path, labelSelector, fieldSelector } = this.#options;
    let sawEvents = false;
    const events = this.#client.watch<T>(path, {
      labelSelector,
      fieldSelector,
      resourceVersion: this.#lastResourceVersion,
      allowWatchBookmarks: true,
      // Servers close watches after a while; a jittered bound of our own
      // (client-go: 5-10 minutes) spreads reconnects of many clients.
      timeoutSeconds: Math.floor(300 * (1 + Math.random())),
      signal,
    });
    for await (const event of events) {
      if (event.type === "ERROR") throw new ApiError(event.object);
      sawEvents = true;
      const resourceVersion = event.object.metadata?.resourceVersion;
      if (event.type === "ADDED") this.#sink.added(event.object);
      else if (event.type === "MODIFIED") this.#sink.modified(event.object);
      else if (event.type === "DELETED") this.#sink.deleted(event.object);
      if (resourceVersion) this.#lastResourceVersion = resourceVersion;
    }
    return sawEvents;
  }
}

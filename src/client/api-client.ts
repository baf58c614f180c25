import type { KubeObject } from "../resources/kind.ts";
import { ApiError, type Status } from "./api-error.ts";
import type { ClientConfig } from "./kube-config.ts";

/** A list response (`PodList`, `ConfigMapList`, …). */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** One watch event; for ERROR the object is a Status (410 Expired means list again). */
export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK"; object: T }
  | { type: "ERROR"; object: Status };

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** Defaults to true: bookmarks keep the resume point fresh at no cost. */
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  /** Aborting ends the iterator without an error. */
  signal?: AbortSignal;
}

export interface DeleteOptions {
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = "merge" | "strategic" | "json";

/**
 * The calls a component makes on resources: what an ApiClient offers, and
 * what a wrapper (e.g. one that fails over between servers) can offer too.
 */
export type ResourceClient = Pick<
  ApiClient,
  "get" | "list" | "create" | "update" | "updateStatus" | "patch" | "delete" | "watch"
>;

const patchContentTypes: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
};

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * A JSON client for any resource path (build paths with `resourcePath`).
 * Every non-2xx answer is thrown as an `ApiError` carrying the server's Status.
 * Objects returned are fresh copies: callers may mutate them freely.
 */
export class ApiClient {
  readonly config: ClientConfig;
  readonly #tls: Record<string, unknown>;

  constructor(config: ClientConfig) {
    this.config = config;
    this.#tls = {
      ...(config.ca !== undefined ? { ca: config.ca } : {}),
      ...(config.cert !== undefined ? { cert: config.cert } : {}),
      ...(config.key !== undefined ? { key: config.key } : {}),
      ...(config.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
    };
  }

  get<T extends KubeObject = KubeObject>(path: string, signal?: AbortSignal): Promise<T> {
    return this.#json<T>("GET", path, { signal });
  }

  list<T extends KubeObject = KubeObject>(
    path: string,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    const { signal, ...query } = options;
    return this.#json<KubeList<T>>("GET", path, { query, signal });
  }

  /** POSTs to a collection path. */
  create<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#json<T>("POST", path, { body: object });
  }

  /** PUTs to an object path; a stale metadata.resourceVersion gives 409 Conflict. */
  update<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#json<T>("PUT", path, { body: object });
  }

  /** PUTs to the object's status subresource: the server keeps spec, takes status. */
  updateStatus<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#json<T>("PUT", `${path}/status`, { body: object });
  }

  patch<T extends KubeObject = KubeObject>(
    path: string,
    patch: unknown,
    type: PatchType = "merge",
  ): Promise<T> {
    return this.#json<T>("PATCH", path, { body: patch, contentType: patchContentTypes[type] });
  }

  /** Returns what the server answers: the object (still finalizing) or a Success Status. */
  delete<T extends KubeObject | Status = KubeObject | Status>(
    path: string,
    options: DeleteOptions = {},
  ): Promise<T> {
    const body = Object.keys(options).length
      ? { apiVersion: "v1", kind: "DeleteOptions", ...options }
      : undefined;
    return this.#json<T>("DELETE", path, { body });
  }

  /**
   * Watches a collection over chunked HTTP. A failure before the stream starts
   * (e.g. 410 for a compacted resourceVersion) is thrown as ApiError; a
   * failure during it arrives as an ERROR event. The iterator ends when the
   * server closes the stream or `signal` aborts; breaking out of the loop
   * closes the connection.
   */
  async *watch<T extends KubeObject = KubeObject>(
    path: string,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const { signal, allowWatchBookmarks = true, ...rest } = options;
    // Our own controller so that a consumer breaking out also closes the socket.
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) return;
    // Only the response headers are timed: the stream itself may rightly stay quiet.
    let timedOut = false;
    const timeout = this.config.requestTimeoutMs;
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeout);
    try {
      let response: Response;
      try {
        response = await this.#fetch("GET", path, {
          query: { ...rest, watch: 1, allowWatchBookmarks },
          signal: controller.signal,
        });
      } catch (error) {
        if (timedOut) throw timeoutError(path);
        if (controller.signal.aborted) return;
        throw error;
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok) throw ApiError.fromResponse(response.status, await response.text());
      if (!response.body) return;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = "";
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (error) {
            if (controller.signal.aborted) return;
            throw error;
          }
          if (chunk.done) return;
          buffered += decoder.decode(chunk.value, { stream: true });
          for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
            const line = buffered.slice(0, i).trim();
            buffered = buffered.slice(i + 1);
            if (line) yield JSON.parse(line) as WatchEvent<T>;
          }
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      controller.abort();
    }
  }

  async #json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const timeout = this.config.requestTimeoutMs;
    const signal =
      timeout === undefined
        ? options.signal
        : options.signal
          ? AbortSignal.any([options.signal, AbortSignal.timeout(timeout)])
          : AbortSignal.timeout(timeout);
    const response = await this.#fetch(method, path, { ...options, signal });
    const text = await response.text();
    if (!response.ok) throw ApiError.fromResponse(response.status, text);
    return JSON.parse(text) as T;
  }

  #fetch(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = new URL(`${this.config.server}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    if (options.body !== undefined)
      headers["content-type"] = options.contentType ?? "application/json";
    // `tls` is Bun's fetch extension for client certificates and private CAs.
    const init = {
      method,
      headers,
      signal: options.signal,
      tls: this.#tls,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    };
    return fetch(url, init as RequestInit);
  }
}

/** The error a timed-out request fails with (a DOMException named TimeoutError, as fetch's). */
export function timeoutError(what: string): Error {
  return new DOMException(`no answer in time for ${what}`, "TimeoutError");
}

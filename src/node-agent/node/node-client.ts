import {
  ApiClient,
  type DeleteOptions,
  type KubeList,
  type ListOptions,
  type PatchType,
  type WatchEvent,
  type WatchOptions,
} from "../../client/api-client.ts";
import { ApiError, type Status } from "../../client/api-error.ts";
import type { ClientConfig } from "../../client/kube-config.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { webSocketWatch } from "./websocket-watch.ts";

/**
 * What the node agent's parts need from an API client: ApiClient's calls and
 * the config in use. An ApiClient is one; so is a FailoverClient.
 */
export type NodeClient = Pick<
  ApiClient,
  "get" | "list" | "create" | "update" | "updateStatus" | "patch" | "delete" | "watch"
> & { readonly config: ClientConfig };

/** The TLS material every server of one cluster accepts from this node. */
export interface ClientCredentials {
  ca: string;
  cert?: string;
  key?: string;
  token?: string;
}

/**
 * How long a call may wait for a server before trying the next one. Generous for a
 * loaded server, short next to the node monitor's grace period (40 s).
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Whether a failure means "this server did not answer" (refused, reset, DNS,
 * TLS, timeout, or a 503 from a server shutting down), so another server may.
 * Any other answer is the cluster's and would be the same elsewhere.
 */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof ApiError) return error.code === 503;
  if (error instanceof TypeError) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === "TimeoutError" || name === "ConnectionError";
}

/**
 * An ApiClient over several API servers of one cluster: calls go to the
 * current server, and when it does not answer the same call is tried on the
 * next ones (each once) before the error reaches the caller; the server that
 * answered stays current. Credentials can be swapped (certificate rotation)
 * without the callers noticing. Chosen over a list inside ApiClient so that
 * the shared client stays a plain one-server client.
 */
export class FailoverClient implements NodeClient {
  readonly #servers: readonly string[];
  readonly #webSocketWatch: boolean;
  readonly #requestTimeoutMs: number;
  #clients: ApiClient[];
  #current = 0;
  /** Per server: aborted when calls move away from it, ending the watches open there. */
  readonly #left: AbortController[];

  /**
   * `webSocketWatch` (default true): watches go over WebSocket, so that many
   * watches do not use up Bun's 256 concurrent fetches (see websocket-watch.ts).
   */
  constructor(
    servers: readonly string[],
    credentials: ClientCredentials,
    options: { webSocketWatch?: boolean; requestTimeoutMs?: number } = {},
  ) {
    if (servers.length === 0) throw new Error("at least one API server URL is needed");
    this.#servers = servers.map((server) => server.replace(/\/+$/, ""));
    this.#webSocketWatch = options.webSocketWatch ?? true;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#left = this.#servers.map(() => new AbortController());
    this.#clients = this.#build(credentials);
  }

  get servers(): readonly string[] {
    return this.#servers;
  }

  /** The server calls go to now. */
  serverUrl(): string {
    return this.#servers[this.#current] ?? "";
  }

  get config(): ClientConfig {
    return this.#client(this.#current).config;
  }

  /** New credentials for every later call; open watches keep their connection. */
  setCredentials(credentials: ClientCredentials): void {
    this.#clients = this.#build(credentials);
  }

  get<T extends KubeObject = KubeObject>(path: string, signal?: AbortSignal): Promise<T> {
    return this.#call((client) => client.get<T>(path, signal), signal);
  }

  list<T extends KubeObject = KubeObject>(
    path: string,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.#call((client) => client.list<T>(path, options), options.signal);
  }

  create<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#call((client) => client.create(path, object));
  }

  update<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#call((client) => client.update(path, object));
  }

  updateStatus<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#call((client) => client.updateStatus(path, object));
  }

  patch<T extends KubeObject = KubeObject>(
    path: string,
    patch: unknown,
    type: PatchType = "merge",
  ): Promise<T> {
    return this.#call((client) => client.patch<T>(path, patch, type));
  }

  delete<T extends KubeObject | Status = KubeObject | Status>(
    path: string,
    options: DeleteOptions = {},
  ): Promise<T> {
    return this.#call((client) => client.delete<T>(path, options));
  }

  /**
   * Fails over while opening the watch; a stream that breaks later ends as ApiClient's
   * does, and so does one whose server the other calls have left (it may be frozen,
   * keeping the connection open but silent): the caller watches again, elsewhere.
   */
  async *watch<T extends KubeObject = KubeObject>(
    path: string,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    for (let attempt = 0; ; attempt++) {
      const index = this.#current;
      const client = this.#client(index);
      const left = this.#left[index]?.signal;
      const signal = options.signal && left ? AbortSignal.any([options.signal, left]) : left;
      const scoped = { ...options, signal };
      const events = this.#webSocketWatch
        ? webSocketWatch<T>(client, path, scoped)
        : client.watch<T>(path, scoped);
      let first: IteratorResult<WatchEvent<T>, void>;
      try {
        first = await events.next();
      } catch (error) {
        if (!this.#shouldFailOver(error, attempt, options.signal)) throw error;
        this.#advance(index);
        continue;
      }
      if (first.done) return;
      yield first.value;
      yield* events;
      return;
    }
  }

  async #call<R>(call: (client: ApiClient) => Promise<R>, signal?: AbortSignal): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const index = this.#current;
      try {
        return await call(this.#client(index));
      } catch (error) {
        if (!this.#shouldFailOver(error, attempt, signal)) throw error;
        this.#advance(index);
      }
    }
  }

  #shouldFailOver(error: unknown, attempt: number, signal?: AbortSignal): boolean {
    return !signal?.aborted && attempt + 1 < this.#servers.length && isUnreachable(error);
  }

  // Many calls fail together when a server goes away: only the first moves on.
  #advance(failed: number): void {
    if (this.#current !== failed) return;
    this.#current = (failed + 1) % this.#servers.length;
    this.#left[failed]?.abort();
    this.#left[failed] = new AbortController();
  }

  #client(index: number): ApiClient {
    const client = this.#clients[index];
    if (!client) throw new Error(`no client for server ${index}`);
    return client;
  }

  #build(credentials: ClientCredentials): ApiClient[] {
    return this.#servers.map(
      (server) =>
        new ApiClient({
          server,
          ca: credentials.ca,
          ...(credentials.cert !== undefined ? { cert: credentials.cert } : {}),
          ...(credentials.key !== undefined ? { key: credentials.key } : {}),
          ...(credentials.token !== undefined ? { token: credentials.token } : {}),
          requestTimeoutMs: this.#requestTimeoutMs,
        }),
    );
  }
}

import {
  type ApiClient,
  timeoutError,
  type WatchEvent,
  type WatchOptions,
} from "../../client/api-client.ts";
import type { KubeObject } from "../../resources/kind.ts";

/**
 * A watch over WebSocket (the same path with Upgrade), with ApiClient.watch's
 * semantics. Why: Bun's fetch runs at most 256 requests at once
 * (BUN_CONFIG_MAX_HTTP_REQUESTS, read only at process start), and every
 * chunked-HTTP watch holds one for its whole life, so an agent with many
 * watches (a hollow fleet: one per node) would stall every other request.
 * WebSocket connections do not count against that limit.
 *
 * When the upgrade is refused or the server cannot be reached, the same watch
 * is asked over HTTP instead, which reports why exactly as ApiClient does
 * (ApiError with the server's Status, or a connection error to fail over on).
 */
export async function* webSocketWatch<T extends KubeObject = KubeObject>(
  client: ApiClient,
  path: string,
  options: WatchOptions = {},
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const { signal, allowWatchBookmarks = true, ...rest } = options;
  if (signal?.aborted) return;
  const url = new URL(`${client.config.server.replace(/^http/, "ws")}${path}`);
  for (const [key, value] of Object.entries({ ...rest, watch: 1, allowWatchBookmarks })) {
    if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  const stream = new EventStream<T>(url, client, signal);
  try {
    const timeout = client.config.requestTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const opened = await (timeout === undefined
      ? stream.opened
      : Promise.race([
          stream.opened,
          new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), timeout);
          }),
        ]).finally(() => clearTimeout(timer)));
    // Accepted but never answered (a frozen server): let the caller go elsewhere.
    if (opened === "timeout") throw timeoutError(path);
    if (!opened) {
      if (signal?.aborted) return;
      yield* client.watch<T>(path, options);
      return;
    }
    for (;;) {
      const event = await stream.next();
      if (event === undefined) return;
      yield event;
    }
  } finally {
    stream.close();
  }
}

/** One WebSocket's messages as a queue of watch events. */
class EventStream<T extends KubeObject> {
  /** Resolves true once open, false when it never opened. */
  readonly opened: Promise<boolean>;
  readonly #socket: WebSocket;
  readonly #queue: WatchEvent<T>[] = [];
  readonly #signal: AbortSignal | undefined;
  #ended = false;
  #wake: (() => void) | undefined;
  #failure: unknown;

  constructor(url: URL, client: ApiClient, signal: AbortSignal | undefined) {
    const { config } = client;
    this.#signal = signal;
    this.#socket = new WebSocket(url.toString(), {
      headers: config.token ? { authorization: `Bearer ${config.token}` } : {},
      tls: {
        ...(config.ca !== undefined ? { ca: config.ca } : {}),
        ...(config.cert !== undefined ? { cert: config.cert } : {}),
        ...(config.key !== undefined ? { key: config.key } : {}),
        ...(config.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
      },
    } as Bun.WebSocketOptions);
    let wasOpen = false;
    this.opened = new Promise<boolean>((resolve) => {
      this.#socket.onopen = () => {
        wasOpen = true;
        resolve(true);
      };
      this.#socket.onclose = () => {
        resolve(wasOpen);
        this.#end();
      };
    });
    this.#socket.onmessage = (message) => this.#receive(message.data);
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The next event; undefined once the stream has ended. */
  async next(): Promise<WatchEvent<T> | undefined> {
    for (;;) {
      const event = this.#queue.shift();
      if (event) return event;
      if (this.#failure) throw this.#failure;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  close(): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (this.#socket.readyState <= WebSocket.OPEN) this.#socket.close();
    this.#end();
  }

  readonly #onAbort = () => this.close();

  #receive(data: unknown): void {
    const text = typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer);
    try {
      for (const line of text.split("\n")) {
        if (line.trim()) this.#queue.push(JSON.parse(line) as WatchEvent<T>);
      }
    } catch (error) {
      this.#failure = error;
      this.close();
    }
    this.#notify();
  }

  #end(): void {
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

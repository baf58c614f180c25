import type { KubeObject } from "../../resources/kind.ts";
import type { ApiWatchEvent, ObjectWatch } from "../registry/object-watch.ts";

/** How often a watch that allows bookmarks gets one (upstream: about a minute). */
const bookmarkIntervalMs = 30_000;
/** Upper bound on a watch's lifetime when the client sets none (upstream: 30-60 min, jittered). */
const defaultTimeoutSeconds = 1800;

export interface WatchStreamOptions {
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
  /** Turns each event's object into what the client asked for (e.g. a Table row). */
  transform: (object: KubeObject, first: boolean) => KubeObject;
  /**
   * Encodes an untransformed object; the watch cache's encoder reuses one JSON
   * string for every watcher of the same event (hot path: fan-out).
   */
  encode?: (object: KubeObject) => string;
}

/**
 * Serves one watch as newline-delimited JSON over a chunked HTTP response: one
 * `{"type":…,"object":…}` per line, as client-go's decoder expects. Ends after
 * the timeout or when the client goes away.
 */
export function watchResponse(watch: ObjectWatch, options: WatchStreamOptions): Response {
  const encoder = new TextEncoder();
  let closed = false;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const stop = () => {
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    watch.end();
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const seconds = options.timeoutSeconds ?? defaultTimeoutSeconds;
      timers.push(setTimeout(stop, seconds * 1000));
      if (options.allowWatchBookmarks) {
        const tick = () => {
          if (closed) return;
          watch.catchUpRevision();
          watch.push(watch.bookmark());
          timers.push(setTimeout(tick, bookmarkIntervalMs));
        };
        timers.push(setTimeout(tick, bookmarkIntervalMs));
      }
      void (async () => {
        let first = true;
        try {
          for await (const event of watch) {
            if (closed) break;
            controller.enqueue(encoder.encode(`${encodeEvent(event, options, first)}\n`));
            if (event.type !== "BOOKMARK") first = false;
          }
        } finally {
          stop();
          try {
            controller.close();
          } catch {}
        }
      })();
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "application/json", "cache-control": "no-cache, private" },
  });
}

export function encodeEvent(
  event: ApiWatchEvent,
  options: WatchStreamOptions,
  first: boolean,
): string {
  const object =
    event.type === "ERROR" || event.type === "BOOKMARK"
      ? event.object
      : options.transform(event.object, first);
  return JSON.stringify({ type: event.type, object });
}

/** One text frame per event over a WebSocket (the same watch as HTTP, other framing). */
export async function pumpWatchToSocket(
  watch: ObjectWatch,
  socket: {
    send(data: string): void;
    close(code?: number): void;
    on(event: "close", fn: () => void): void;
  },
  options: WatchStreamOptions & { base64: boolean },
): Promise<void> {
  let closed = false;
  socket.on("close", () => {
    closed = true;
    watch.end();
  });
  const timer = setTimeout(
    () => watch.end(),
    (options.timeoutSeconds ?? defaultTimeoutSeconds) * 1000,
  );
  let first = true;
  try {
    for await (const event of watch) {
      if (closed) break;
      const text = encodeEvent(event, options, first);
      socket.send(options.base64 ? Buffer.from(text).toString("base64") : text);
      if (event.type !== "BOOKMARK") first = false;
    }
  } finally {
    clearTimeout(timer);
    if (!closed) socket.close(1000);
  }
}

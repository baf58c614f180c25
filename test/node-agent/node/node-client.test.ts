import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import type { Server } from "bun";
import type { WatchEvent } from "../../../src/client/api-client.ts";
import { ApiError } from "../../../src/client/api-error.ts";
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  FailoverClient,
  isUnreachable,
} from "../../../src/node-agent/node/node-client.ts";

/** An address nothing listens on. */
let dead: string;
let live: Server<string | undefined>;
let liveUrl: string;
let upgrades = 0;
let httpWatches = 0;
/** Accepts connections and never answers, like a frozen (SIGSTOP) server. */
let silent: NetServer;
let silentUrl: string;
const silentSockets: Socket[] = [];

const status = (code: number, reason: string) =>
  Response.json(
    { kind: "Status", status: "Failure", code, reason, message: reason },
    { status: code },
  );

beforeAll(async () => {
  silent = createServer((socket) => silentSockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  const probe = Bun.serve({ port: 0, fetch: () => new Response("") });
  dead = `http://127.0.0.1:${probe.port}`;
  probe.stop(true);
  live = Bun.serve<string | undefined>({
    port: 0,
    fetch(request, server) {
      const url = new URL(request.url);
      if (url.pathname === "/api/v1/namespaces/default/configmaps/x") {
        return Response.json({ kind: "ConfigMap", metadata: { name: "x" } });
      }
      if (url.pathname === "/api/v1/pods" && url.searchParams.get("watch") === "1") {
        if (request.headers.get("upgrade") === "websocket") {
          upgrades++;
          if (server.upgrade(request, { data: undefined })) return undefined;
        }
        httpWatches++;
        return status(500, "InternalError");
      }
      if (url.pathname === "/api/v1/configmaps" && url.searchParams.get("watch") === "1") {
        if (server.upgrade(request, { data: "stay" })) return undefined;
      }
      if (url.pathname === "/unavailable") return status(503, "ServiceUnavailable");
      if (url.pathname === "/api/v1/secrets" && url.searchParams.get("watch") === "1") {
        return status(403, "Forbidden");
      }
      return status(404, "NotFound");
    },
    websocket: {
      open(ws) {
        // A configmaps watch stays open after its first event.
        if (ws.data === "stay") {
          ws.send(JSON.stringify({ type: "ADDED", object: { metadata: { name: "cm" } } }));
          return;
        }
        ws.send(JSON.stringify({ type: "ADDED", object: { metadata: { name: "a" } } }));
        ws.send(
          `${JSON.stringify({ type: "MODIFIED", object: { metadata: { name: "a" } } })}\n${JSON.stringify({ type: "DELETED", object: { metadata: { name: "a" } } })}\n`,
        );
        ws.close();
      },
      message() {},
    },
  });
  liveUrl = `http://127.0.0.1:${live.port}`;
});

afterAll(() => {
  live.stop(true);
  for (const socket of silentSockets) socket.destroy();
  silent.close();
});

describe("FailoverClient", () => {
  test("a server that does not answer is skipped, and the one that does stays current", async () => {
    const client = new FailoverClient([dead, liveUrl], { ca: "" });
    expect(client.serverUrl()).toBe(dead);
    const object = await client.get("/api/v1/namespaces/default/configmaps/x");
    expect(object.metadata?.name).toBe("x");
    expect(client.serverUrl()).toBe(liveUrl);
    expect(client.config.server).toBe(liveUrl);
  });

  test("an answer, even an error, is not failed over", async () => {
    const client = new FailoverClient([liveUrl, dead], { ca: "" });
    const attempt = client.get("/api/v1/namespaces/default/configmaps/missing");
    await expect(attempt).rejects.toBeInstanceOf(ApiError);
    expect(client.serverUrl()).toBe(liveUrl);
  });

  test("when no server answers, the last connection error reaches the caller", async () => {
    const client = new FailoverClient([dead, dead], { ca: "" });
    await expect(client.get("/api")).rejects.toBeInstanceOf(TypeError);
  });

  test("watches go over WebSocket, and fail over too", async () => {
    const client = new FailoverClient([dead, liveUrl], { ca: "" });
    const before = { upgrades, httpWatches };
    const events: WatchEvent[] = [];
    for await (const event of client.watch("/api/v1/pods")) events.push(event);
    expect(events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      "ADDED a",
      "MODIFIED a",
      "DELETED a",
    ]);
    expect(upgrades - before.upgrades).toBe(1);
    expect(httpWatches - before.httpWatches).toBe(0);
  });

  test("a refused upgrade is asked over HTTP, which says why", async () => {
    const client = new FailoverClient([liveUrl], { ca: "" });
    let error: unknown;
    try {
      for await (const _ of client.watch("/api/v1/secrets")) {
        // nothing arrives
      }
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(403);
  });

  test("plain HTTP watches when asked", async () => {
    const client = new FailoverClient([liveUrl], { ca: "" }, { webSocketWatch: false });
    const before = httpWatches;
    await expect(
      (async () => {
        for await (const _ of client.watch("/api/v1/pods")) {
          // the server refuses plain watches here
        }
      })(),
    ).rejects.toBeInstanceOf(ApiError);
    expect(httpWatches - before).toBe(1);
  });

  test("new credentials apply to later calls", () => {
    const client = new FailoverClient([liveUrl], { ca: "ca", cert: "c1", key: "k1" });
    client.setCredentials({ ca: "ca", cert: "c2", key: "k2" });
    expect(client.config).toEqual({
      server: liveUrl,
      ca: "ca",
      cert: "c2",
      key: "k2",
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    });
  });
});

describe("FailoverClient and a server that stops answering", () => {
  test("a call to a server that accepts but never answers moves on after the timeout", async () => {
    const client = new FailoverClient([silentUrl, liveUrl], { ca: "" }, { requestTimeoutMs: 200 });
    const object = await client.get("/api/v1/namespaces/default/configmaps/x");
    expect(object.metadata?.name).toBe("x");
    expect(client.serverUrl()).toBe(liveUrl);
  });

  test("a watch that cannot open on a silent server moves on after the timeout", async () => {
    const client = new FailoverClient([silentUrl, liveUrl], { ca: "" }, { requestTimeoutMs: 200 });
    const events: string[] = [];
    for await (const event of client.watch("/api/v1/pods")) events.push(event.type);
    expect(events).toEqual(["ADDED", "MODIFIED", "DELETED"]);
  });

  test("a watch open on a server that calls have left ends, so it can resume elsewhere", async () => {
    const client = new FailoverClient([liveUrl, dead], { ca: "" });
    const seen: string[] = [];
    for await (const event of client.watch("/api/v1/configmaps")) {
      seen.push(String(event.object.metadata?.name));
      // The server now fails calls as unreachable: the client leaves it.
      await client.get("/unavailable").catch(() => {});
    }
    expect(seen).toEqual(["cm"]);
    expect(client.serverUrl()).toBe(dead);
  });
});

describe("isUnreachable", () => {
  test("connection failures and 503 are; other answers are not", () => {
    expect(isUnreachable(new TypeError("ECONNREFUSED"))).toBe(true);
    expect(isUnreachable(new ApiError({ code: 503 }))).toBe(true);
    expect(isUnreachable(new ApiError({ code: 500 }))).toBe(false);
    expect(isUnreachable(new ApiError({ code: 404 }))).toBe(false);
    expect(isUnreachable(new Error("other"))).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import type { WatchEvent } from "../../../src/client/api-client.ts";
import { ApiError } from "../../../src/client/api-error.ts";
import { FailoverClient, isUnreachable } from "../../../src/node-agent/node/node-client.ts";

/** An address nothing listens on. */
let dead: string;
let live: Server<undefined>;
let liveUrl: string;
let upgrades = 0;
let httpWatches = 0;

const status = (code: number, reason: string) =>
  Response.json(
    { kind: "Status", status: "Failure", code, reason, message: reason },
    { status: code },
  );

beforeAll(() => {
  const probe = Bun.serve({ port: 0, fetch: () => new Response("") });
  dead = `http://127.0.0.1:${probe.port}`;
  probe.stop(true);
  live = Bun.serve({
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
      if (url.pathname === "/api/v1/secrets" && url.searchParams.get("watch") === "1") {
        return status(403, "Forbidden");
      }
      return status(404, "NotFound");
    },
    websocket: {
      open(ws) {
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
    expect(client.config).toEqual({ server: liveUrl, ca: "ca", cert: "c2", key: "k2" });
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

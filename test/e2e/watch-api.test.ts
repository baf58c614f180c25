import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ApiClient, apiClient } from "../support/api-client.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;
let api: ApiClient;
const configmaps = "/api/v1/namespaces/default/configmaps";

beforeAll(async () => {
  cluster = await startCluster();
  api = await apiClient(cluster.kubeconfig, cluster.url);
});
afterAll(() => cluster.stop());

interface Event {
  type: string;
  object: {
    metadata: { name?: string; resourceVersion: string; annotations?: Record<string, string> };
    code?: number;
    reason?: string;
  };
}

/** Reads newline-delimited watch events until `done` says stop or the stream ends. */
async function readEvents(
  response: Response,
  done: (events: Event[]) => boolean,
): Promise<Event[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: Event[] = [];
  let buffered = "";
  while (!done(events)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffered += decoder.decode(value, { stream: true });
    for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
      events.push(JSON.parse(buffered.slice(0, i)));
      buffered = buffered.slice(i + 1);
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

const create = (name: string, labels: Record<string, string> = {}) =>
  api.request("POST", configmaps, {
    body: JSON.stringify({ metadata: { name, labels } }),
    contentType: "application/json",
  });

describe("watch over HTTP", () => {
  test("without a resourceVersion: current objects as ADDED, then live events", async () => {
    await create("w-initial");
    const response = await api.request("GET", `${configmaps}?watch=1&labelSelector=`);
    const reading = readEvents(response, (events) =>
      events.some((e) => e.object.metadata.name === "w-live"),
    );
    await create("w-live");
    const events = await reading;
    expect(events[0]?.type).toBe("ADDED");
    expect(events.map((e) => e.object.metadata.name)).toContain("w-initial");
    expect(events.at(-1)?.type).toBe("ADDED");
  });

  test("sendInitialEvents ends the initial list with the initial-events-end bookmark", async () => {
    const response = await api.request(
      "GET",
      `${configmaps}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    const events = await readEvents(response, (e) => e.some((x) => x.type === "BOOKMARK"));
    const bookmark = events.at(-1);
    expect(bookmark?.type).toBe("BOOKMARK");
    expect(bookmark?.object.metadata.annotations?.["k8s.io/initial-events-end"]).toBe("true");
    expect(events.slice(0, -1).every((e) => e.type === "ADDED")).toBe(true);
  });

  test("an object that stops matching the selector arrives as DELETED", async () => {
    const list = (await (await api.request("GET", configmaps)).json()) as {
      metadata: { resourceVersion: string };
    };
    const response = await api.request(
      "GET",
      `${configmaps}?watch=1&resourceVersion=${list.metadata.resourceVersion}&labelSelector=team%3Dblue`,
    );
    const reading = readEvents(response, (events) => events.length >= 2);
    await create("w-sel", { team: "blue" });
    await api.request("PATCH", `${configmaps}/w-sel`, {
      body: JSON.stringify({ metadata: { labels: { team: "red" } } }),
      contentType: "application/merge-patch+json",
    });
    const events = await reading;
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "w-sel"],
      ["DELETED", "w-sel"],
    ]);
  });

  test("a field-selected watch sees its objects come and go, and only its objects", async () => {
    const configmapsField = (name: string) =>
      `${configmaps}?watch=1&fieldSelector=metadata.name%3D${name}`;
    const list = (await (await api.request("GET", configmaps)).json()) as {
      metadata: { resourceVersion: string };
    };
    const response = await api.request(
      "GET",
      `${configmapsField("w-field")}&resourceVersion=${list.metadata.resourceVersion}`,
    );
    const reading = readEvents(response, (events) => events.length >= 3);
    await create("w-other", { team: "blue" });
    await create("w-field", { team: "blue" });
    await api.request("PATCH", `${configmaps}/w-other`, {
      body: JSON.stringify({ metadata: { labels: { team: "red" } } }),
      contentType: "application/merge-patch+json",
    });
    await api.request("PATCH", `${configmaps}/w-field`, {
      body: JSON.stringify({ metadata: { labels: { team: "red" } } }),
      contentType: "application/merge-patch+json",
    });
    await api.request("DELETE", `${configmaps}/w-field`);
    const events = await reading;
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "w-field"],
      ["MODIFIED", "w-field"],
      ["DELETED", "w-field"],
    ]);
  });

  test("a resourceVersion older than the cache window is an ERROR event with 410", async () => {
    // After a restart the watch cache starts at the current revision: older ones are out of its window.
    await cluster.restart();
    const response = await api.request("GET", `${configmaps}?watch=1&resourceVersion=1`);
    const events = await readEvents(response, (e) => e.length >= 1);
    expect(events[0]?.type).toBe("ERROR");
    expect(events[0]?.object.code).toBe(410);
    expect(events[0]?.object.reason).toBe("Expired");
  });

  test("timeoutSeconds ends the watch", async () => {
    const response = await api.request(
      "GET",
      `${configmaps}?watch=1&timeoutSeconds=1&resourceVersion=0`,
    );
    const events = await readEvents(response, () => false);
    expect(events.every((e) => e.type === "ADDED")).toBe(true);
  });

  test("watch events of kubectl's Table requests carry column definitions only first", async () => {
    const response = await api.request("GET", `${configmaps}?watch=1`, {
      accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
    });
    const reading = readEvents(response, (e) => e.length >= 2);
    await create("w-table-1");
    await create("w-table-2");
    const events = (await reading) as unknown as {
      object: { kind: string; columnDefinitions: unknown[] };
    }[];
    expect(events[0]?.object.kind).toBe("Table");
    expect(events[0]?.object.columnDefinitions.length).toBeGreaterThan(0);
    expect(events[1]?.object.columnDefinitions.length).toBe(0);
  });
});

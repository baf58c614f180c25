import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiClient, type WatchEvent } from "../../src/client/api-client.ts";
import { ApiError } from "../../src/client/api-error.ts";
import { loadKubeConfig } from "../../src/client/kube-config.ts";
import { resourcePath } from "../../src/client/resource-path.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

let cluster: TestCluster;
let client: ApiClient;
const namespace = "default";
const configmaps = resourcePath({ version: "v1", resource: "configmaps", namespace });
const configmap = (name: string) =>
  resourcePath({ version: "v1", resource: "configmaps", namespace, name });

beforeAll(async () => {
  cluster = await startCluster();
  client = new ApiClient(await loadKubeConfig(cluster.kubeconfig));
}, 60_000);
afterAll(() => cluster.stop());

async function thrown(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("resourcePath", () => {
  test("builds core, group, namespaced and subresource paths", () => {
    expect(resourcePath({ version: "v1", resource: "nodes", name: "n1" })).toBe("/api/v1/nodes/n1");
    expect(
      resourcePath({
        group: "apps",
        version: "v1",
        resource: "deployments",
        namespace: "ns",
        name: "web",
        subresource: "scale",
      }),
    ).toBe("/apis/apps/v1/namespaces/ns/deployments/web/scale");
  });
});

describe("loadKubeConfig", () => {
  test("reads the current context's server and credentials", async () => {
    const config = await loadKubeConfig(cluster.kubeconfig);
    expect(config.server).toBe(cluster.url);
    expect(config.ca).toContain("BEGIN CERTIFICATE");
    expect(config.cert).toContain("BEGIN CERTIFICATE");
    expect(config.key).toContain("PRIVATE KEY");
  });
});

describe("ApiClient", () => {
  test("creates, gets, updates, patches and deletes an object", async () => {
    const created = await client.create<ConfigMap>(configmaps, {
      metadata: { name: "crud" },
      data: { a: "1" },
    });
    expect(created.metadata?.resourceVersion).toBeTruthy();
    const read = await client.get<ConfigMap>(configmap("crud"));
    expect(read.data).toEqual({ a: "1" });

    const updated = await client.update<ConfigMap>(configmap("crud"), {
      ...read,
      data: { a: "2" },
    });
    expect(updated.data).toEqual({ a: "2" });

    const merged = await client.patch<ConfigMap>(configmap("crud"), { data: { b: "3" } }, "merge");
    expect(merged.data).toEqual({ a: "2", b: "3" });
    const strategic = await client.patch<ConfigMap>(
      configmap("crud"),
      { metadata: { labels: { tier: "x" } } },
      "strategic",
    );
    expect(strategic.metadata?.labels).toEqual({ tier: "x" });
    const jsonPatched = await client.patch<ConfigMap>(
      configmap("crud"),
      [{ op: "remove", path: "/data/a" }],
      "json",
    );
    expect(jsonPatched.data).toEqual({ b: "3" });

    await client.delete(configmap("crud"), { propagationPolicy: "Background" });
    const gone = await thrown(client.get(configmap("crud")));
    expect(gone.code).toBe(404);
    expect(gone.reason).toBe("NotFound");
  });

  test("throws the server's Status: 404 NotFound and 409 AlreadyExists/Conflict", async () => {
    const missing = await thrown(client.get(configmap("missing")));
    expect(missing.status).toMatchObject({ kind: "Status", code: 404, reason: "NotFound" });
    expect(missing.message).toContain("missing");

    const first = await client.create<ConfigMap>(configmaps, { metadata: { name: "dup" } });
    const duplicate = await thrown(client.create(configmaps, { metadata: { name: "dup" } }));
    expect(duplicate.status).toMatchObject({ code: 409, reason: "AlreadyExists" });

    await client.patch(configmap("dup"), { data: { x: "1" } });
    const stale = await thrown(client.update(configmap("dup"), { ...first, data: { y: "2" } }));
    expect(stale.status).toMatchObject({ code: 409, reason: "Conflict" });

    const precondition = await thrown(
      client.delete(configmap("dup"), { preconditions: { resourceVersion: "1" } }),
    );
    expect(precondition.code).toBe(409);
    await client.delete(configmap("dup"), { gracePeriodSeconds: 0 });
  });

  test("lists by label selector in pages", async () => {
    for (let i = 0; i < 5; i++) {
      await client.create(configmaps, {
        metadata: { name: `page-${i}`, labels: { set: "paging" } },
      });
    }
    await client.create(configmaps, { metadata: { name: "page-other", labels: { set: "other" } } });
    const names: string[] = [];
    let continueToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.list(configmaps, {
        labelSelector: "set=paging",
        limit: 2,
        continue: continueToken,
      });
      pages++;
      expect(page.items.length).toBeLessThanOrEqual(2);
      names.push(...page.items.map((item) => item.metadata?.name ?? ""));
      continueToken = page.metadata.continue || undefined;
    } while (continueToken);
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4"]);

    const byField = await client.list(configmaps, { fieldSelector: "metadata.name=page-other" });
    expect(byField.items.map((item) => item.metadata?.name)).toEqual(["page-other"]);
  });

  test("watch sees ADDED, MODIFIED and DELETED and ends on abort", async () => {
    const list = await client.list(configmaps);
    const abort = new AbortController();
    const events: WatchEvent<ConfigMap>[] = [];
    const watching = (async () => {
      for await (const event of client.watch<ConfigMap>(configmaps, {
        resourceVersion: list.metadata.resourceVersion,
        fieldSelector: "metadata.name=watched",
        signal: abort.signal,
      })) {
        if (event.type === "BOOKMARK") continue;
        events.push(event);
        if (event.type === "DELETED") abort.abort();
      }
    })();
    await client.create(configmaps, { metadata: { name: "watched" } });
    await client.patch(configmap("watched"), { data: { k: "v" } });
    await client.delete(configmap("watched"));
    await watching;
    expect(events.map((event) => event.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import * as k8s from "@kubernetes/client-node";
import WebSocket from "ws";
import { parse as parseYaml } from "yaml";
import { startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  cluster = await startCluster();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(() => cluster.stop());

async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
): Promise<T> {
  for (let i = 0; i < 2000; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("@kubernetes/client-node", () => {
  test("creates, reads, replaces, patches and deletes a ConfigMap", async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "crud" }, data: { a: "1" } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    const read = await core.readNamespacedConfigMap({ name: "crud", namespace: "default" });
    expect(read.data).toEqual({ a: "1" });
    read.data = { a: "2" };
    const replaced = await core.replaceNamespacedConfigMap({
      name: "crud",
      namespace: "default",
      body: read,
    });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
      Number(read.metadata?.resourceVersion),
    );
    // A stale resourceVersion is a 409 Conflict.
    const stale = await core
      .replaceNamespacedConfigMap({ name: "crud", namespace: "default", body: read })
      .catch((error) => error);
    expect(stale.code).toBe(409);
    await core.deleteNamespacedConfigMap({ name: "crud", namespace: "default" });
    const gone = await core
      .readNamespacedConfigMap({ name: "crud", namespace: "default" })
      .catch((e) => e);
    expect(gone.code).toBe(404);
  });

  test("pages through a list with limit and continue", async () => {
    for (let i = 0; i < 25; i++) {
      await core.createNamespacedConfigMap({
        namespace: "default",
        body: { metadata: { name: `page-${i}`, labels: { paged: "yes" } } },
      });
    }
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace: "default",
        labelSelector: "paged=yes",
        limit: 10,
        ...(token ? { _continue: token } : {}),
      });
      names.push(...page.items.map((cm) => cm.metadata?.name ?? ""));
      token = page.metadata?._continue;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `page-${i}`).sort());
  });

  test("an informer keeps its cache through a compaction and a server restart", async () => {
    const informer = k8s.makeInformer(
      kc,
      "/api/v1/namespaces/default/configmaps",
      () => core.listNamespacedConfigMap({ namespace: "default", labelSelector: "informed=yes" }),
      "informed=yes",
    );
    // client-node stops an informer on error; restarting it is the documented pattern.
    let stopped = false;
    informer.on("error", () => {
      if (!stopped) setTimeout(() => void informer.start().catch(() => {}), 50);
    });
    await informer.start();
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "inf-1", labels: { informed: "yes" } } },
    });
    await until(
      () => (informer.get("inf-1", "default") ? true : undefined),
      "inf-1 in the informer",
    );
    // Compact away everything, then restart the server: the informer's watch must relist.
    const sql = cluster.db.connect({ max: 1 });
    const [{ revision }] = (await sql`select revision from kubun_counter`) as unknown as [
      { revision: number },
    ];
    await sql`update kubun_compaction set revision = ${revision} where id = 1`;
    await cluster.restart();
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "inf-2", labels: { informed: "yes" } } },
    });
    await until(
      () => (informer.get("inf-2", "default") ? true : undefined),
      "inf-2 in the informer after restart",
    );
    expect(
      informer
        .list("default")
        .map((cm) => cm.metadata?.name)
        .sort(),
    ).toEqual(["inf-1", "inf-2"]);
    stopped = true;
    await informer.stop();
  });

  test("watches over WebSocket with the ws client", async () => {
    const config = parseYaml(await readFile(cluster.kubeconfig, "utf8"));
    const user = config.users[0].user;
    const ca = Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64");
    const list = await core.listNamespacedConfigMap({ namespace: "default" });
    const url = `${cluster.url.replace("https", "wss")}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata?.resourceVersion}`;
    const socket = new WebSocket(url, {
      ca,
      cert: Buffer.from(user["client-certificate-data"], "base64"),
      key: Buffer.from(user["client-key-data"], "base64"),
    });
    const events: { type: string; object: { metadata: { name: string } } }[] = [];
    socket.on("message", (data) => events.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "ws-1" } },
    });
    await until(
      () => (events.some((e) => e.object.metadata.name === "ws-1") ? true : undefined),
      "ws-1 over WebSocket",
    );
    expect(events.find((e) => e.object.metadata.name === "ws-1")?.type).toBe("ADDED");
    socket.close();
  });
});

/**
 * DaemonSets and StatefulSets end to end on hollow nodes, with real kubectl: a daemon
 * pod on every node that fits (a tainted node only when tolerated, a node that joins
 * later at once), rolled to a new template with `kubectl rollout status/history/undo`;
 * a StatefulSet creating web-0, web-1, web-2 strictly in order, each only once the one
 * before is Ready, and scaling down from the highest ordinal.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiClient } from "../support/api-client.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { startHollow, stopHollow } from "../support/hollow.ts";
import type { KubunProcess } from "../support/kubun-process.ts";
import { until } from "../support/until.ts";

interface PodJson {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: {
    nodeName?: string;
    hostname?: string;
    subdomain?: string;
    containers: { image: string }[];
    tolerations?: { key?: string; effect?: string }[];
  };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

let cluster: TestCluster;
let nodes: KubunProcess | undefined;
let lateNode: KubunProcess | undefined;

beforeAll(async () => {
  cluster = await startCluster();
  nodes = await startHollow(cluster, { count: 3, namePrefix: "ds-node-" });
  await cluster.ok(["taint", "node", "ds-node-2", "dedicated=infra:NoSchedule"]);
});

afterAll(async () => {
  await stopHollow(lateNode);
  await stopHollow(nodes);
  await cluster?.stop();
});

async function pods(selector: string): Promise<PodJson[]> {
  const out = await cluster.ok(["get", "pods", "-l", selector, "-o", "json"]);
  return (JSON.parse(out) as { items: PodJson[] }).items;
}

/** Every watch event for the selected pods from now until `stop`, in order. */
async function watchPods(selector: string) {
  const client = await apiClient(cluster.kubeconfig, cluster.url);
  const response = await client.request(
    "GET",
    `/api/v1/namespaces/default/pods?watch=1&labelSelector=${encodeURIComponent(selector)}`,
  );
  const seen: { type: string; pod: PodJson }[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) {
          const event = JSON.parse(line) as { type: string; object: PodJson };
          seen.push({ type: event.type, pod: event.object });
        }
      }
    }
  })();
  return {
    seen,
    async stop() {
      await reader.cancel().catch(() => undefined);
      await reading;
      return seen;
    },
  };
}

const isReady = (pod: PodJson) =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

function daemonSet(image: string): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", namespace: "default" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: {
        metadata: { labels: { app: "agent" } },
        spec: { containers: [{ name: "agent", image, command: ["sleep", "3600"] }] },
      },
    },
  });
}

describe("DaemonSet", () => {
  test("runs one pod on each node that fits, and on a node that joins later", async () => {
    await cluster.ok(["apply", "-f", "-"], { input: daemonSet("busybox:1.36") });
    const placed = await until("a ready daemon pod on each untainted node", async () => {
      const list = (await pods("app=agent")).filter((p) => !p.metadata.deletionTimestamp);
      const ready = list.filter(isReady).map((p) => p.spec.nodeName);
      return ready.length === 2 && list.length === 2 ? ready.sort() : undefined;
    });
    expect(placed).toEqual(["ds-node-0", "ds-node-1"]);
    const [pod] = await pods("app=agent");
    const tolerated = (pod?.spec.tolerations ?? []).map((t) => `${t.key}:${t.effect}`);
    expect(tolerated).toContain("node.kubernetes.io/unschedulable:NoSchedule");
    expect(pod?.metadata.labels?.["controller-revision-hash"]).toBeTruthy();

    lateNode = await startHollow(cluster, { count: 1, namePrefix: "ds-node-", firstIndex: 3 });
    await until("a daemon pod on the late node", async () => {
      const list = await pods("app=agent");
      return list.some((p) => p.spec.nodeName === "ds-node-3" && isReady(p)) ? true : undefined;
    });
    const status = await until("the status to count three nodes", async () => {
      const s = JSON.parse(await cluster.ok(["get", "ds", "agent", "-o", "json"])).status;
      return s.numberReady === 3 && s.desiredNumberScheduled === 3 ? s : undefined;
    });
    expect(status.numberMisscheduled ?? 0).toBe(0);
    const events = await cluster.ok([
      "get",
      "events",
      "--field-selector",
      "involvedObject.kind=DaemonSet,involvedObject.name=agent,reason=SuccessfulCreate",
      "-o",
      "jsonpath={.items[*].message}",
    ]);
    expect(events).toMatch(/Created pod: agent-/);
  });

  test("rolls out a new image, keeps history, and rolls back", async () => {
    await cluster.ok(["set", "image", "ds/agent", "agent=busybox:1.37"]);
    const rolled = await cluster.ok(["rollout", "status", "ds/agent", "--timeout=60s"]);
    expect(rolled).toContain('daemon set "agent" successfully rolled out');
    const images = (await pods("app=agent"))
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.spec.containers[0]?.image);
    expect(images).toEqual(["busybox:1.37", "busybox:1.37", "busybox:1.37"]);

    const history = await cluster.ok(["rollout", "history", "ds/agent"]);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);
    const revision1 = await cluster.ok(["rollout", "history", "ds/agent", "--revision=1"]);
    expect(revision1).toContain("busybox:1.36");

    await cluster.ok(["rollout", "undo", "ds/agent"]);
    await cluster.ok(["rollout", "status", "ds/agent", "--timeout=60s"]);
    await until("every daemon pod back on the first image", async () => {
      const list = (await pods("app=agent")).filter((p) => !p.metadata.deletionTimestamp);
      const back = list.every((p) => p.spec.containers[0]?.image === "busybox:1.36");
      return list.length === 3 && back ? true : undefined;
    });
    // The undone template is the newest revision again.
    const after = await cluster.ok(["rollout", "history", "ds/agent"]);
    expect(after).toMatch(/^3\s/m);
  });
});

describe("StatefulSet", () => {
  test("creates web-0, web-1, web-2 in order, each after the previous is Ready", async () => {
    const watch = await watchPods("app=web");
    await cluster.ok(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "web", namespace: "default" },
            spec: { clusterIP: "None", selector: { app: "web" }, ports: [{ port: 80 }] },
          },
          {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: "web", namespace: "default" },
            spec: {
              replicas: 3,
              serviceName: "web",
              selector: { matchLabels: { app: "web" } },
              template: {
                metadata: { labels: { app: "web" } },
                spec: {
                  containers: [{ name: "web", image: "busybox:1.36", command: ["sleep", "3600"] }],
                },
              },
            },
          },
        ],
      }),
    });
    const status = await cluster.ok(["rollout", "status", "sts/web", "--timeout=60s"]);
    // kubectl's wording whenever the RollingUpdate strategy has a partition (defaulted to 0).
    expect(status).toContain("partitioned roll out complete: 3 new pods have been updated");
    const seen = await watch.stop();
    const added = seen.filter((e) => e.type === "ADDED").map((e) => e.pod.metadata.name);
    expect(added).toEqual(["web-0", "web-1", "web-2"]);
    for (const [index, name] of ["web-1", "web-2"].entries()) {
      const creation = seen.findIndex((e) => e.type === "ADDED" && e.pod.metadata.name === name);
      const previous = `web-${index}`;
      const readyBefore = seen
        .slice(0, creation)
        .some((e) => e.pod.metadata.name === previous && isReady(e.pod));
      expect(readyBefore).toBe(true);
    }
    const [web0] = await pods("statefulset.kubernetes.io/pod-name=web-0");
    expect(web0?.spec.hostname).toBe("web-0");
    expect(web0?.spec.subdomain).toBe("web");
    expect(web0?.metadata.labels?.["apps.kubernetes.io/pod-index"]).toBe("0");
    const events = await cluster.ok([
      "get",
      "events",
      "--field-selector",
      "involvedObject.kind=StatefulSet,involvedObject.name=web,reason=SuccessfulCreate",
      "-o",
      "jsonpath={.items[*].message}",
    ]);
    expect(events).toContain("create Pod web-0 in StatefulSet web successful");
  });

  test("rolls a new image from the highest ordinal down, with history and undo", async () => {
    const watch = await watchPods("app=web");
    await cluster.ok(["set", "image", "sts/web", "web=busybox:1.37"]);
    const rolled = await cluster.ok(["rollout", "status", "sts/web", "--timeout=60s"]);
    expect(rolled).toContain("partitioned roll out complete: 3 new pods have been updated");
    const seen = await watch.stop();
    const replaced = seen.filter((e) => e.type === "DELETED").map((e) => e.pod.metadata.name);
    expect(replaced).toEqual(["web-2", "web-1", "web-0"]);
    const images = (await pods("app=web")).map((p) => p.spec.containers[0]?.image);
    expect(images).toEqual(["busybox:1.37", "busybox:1.37", "busybox:1.37"]);
    const status = await until("the update revision to become current", async () => {
      const s = JSON.parse(await cluster.ok(["get", "sts", "web", "-o", "json"])).status;
      return s.currentRevision === s.updateRevision && s.updatedReplicas === 3 ? s : undefined;
    });
    expect(status.currentReplicas).toBe(3);
    const history = await cluster.ok(["rollout", "history", "sts/web"]);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);
    await cluster.ok(["rollout", "undo", "sts/web"]);
    await cluster.ok(["rollout", "status", "sts/web", "--timeout=60s"]);
    await until("every pod back on the first image", async () => {
      const list = await pods("app=web");
      const back = list.every(
        (p) => p.spec.containers[0]?.image === "busybox:1.36" && !p.metadata.deletionTimestamp,
      );
      return list.length === 3 && back && list.every(isReady) ? true : undefined;
    });
  });

  test("scaling down to one removes web-2 before web-1", async () => {
    const watch = await watchPods("app=web");
    await cluster.ok(["scale", "sts/web", "--replicas=1"]);
    await until("web-2 and web-1 gone", async () => {
      const names = (await pods("app=web")).map((p) => p.metadata.name);
      return names.length === 1 && names[0] === "web-0" ? true : undefined;
    });
    const seen = await watch.stop();
    const deleted = seen.filter((e) => e.type === "DELETED").map((e) => e.pod.metadata.name);
    expect(deleted).toEqual(["web-2", "web-1"]);
    // web-1 is asked to go only once web-2 is gone.
    const web2Gone = seen.findIndex((e) => e.type === "DELETED" && e.pod.metadata.name === "web-2");
    const web1Asked = seen.findIndex(
      (e) => e.pod.metadata.name === "web-1" && e.pod.metadata.deletionTimestamp !== undefined,
    );
    expect(web1Asked).toBeGreaterThan(web2Gone);
    const messages = await cluster.ok([
      "get",
      "events",
      "--field-selector",
      "involvedObject.kind=StatefulSet,involvedObject.name=web,reason=SuccessfulDelete",
      "-o",
      "jsonpath={.items[*].message}",
    ]);
    expect(messages).toContain("delete Pod web-2 in StatefulSet web successful");
    expect(messages).toContain("delete Pod web-1 in StatefulSet web successful");
    const status = await until("the status to show one ready replica", async () => {
      const s = JSON.parse(await cluster.ok(["get", "sts", "web", "-o", "json"])).status;
      return s.replicas === 1 && s.readyReplicas === 1 ? s : undefined;
    });
    expect(status.currentRevision).toBe(status.updateRevision);
  });
});

/**
 * Node maintenance end to end, with real kubectl against hollow nodes: cordon keeps new
 * pods off a node; drain evicts through the Eviction API and so waits for a
 * PodDisruptionBudget; a node whose agent dies turns Unknown, is tainted unreachable,
 * and loses the pods that tolerate that only briefly; when it comes back the taints go.
 * The node monitor grace period is short (hollow nodes renew their Lease every 10 s).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { startHollow, stopHollow } from "../support/hollow.ts";
import type { KubunProcess } from "../support/kubun-process.ts";
import { until } from "../support/until.ts";

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

interface Taint {
  key: string;
  effect: string;
}

interface Resource {
  metadata: {
    name: string;
    generation?: number;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string }[];
    labels?: Record<string, string>;
  };
  spec: { nodeName?: string; unschedulable?: boolean; taints?: Taint[] };
  status: {
    conditions?: Condition[];
    disruptionsAllowed?: number;
    currentHealthy?: number;
    expectedPods?: number;
    observedGeneration?: number;
  };
}

let cluster: TestCluster;
let hollow: KubunProcess | undefined;
let doomed: KubunProcess | undefined;

async function get(...args: string[]): Promise<Resource> {
  return JSON.parse(await cluster.ok(["get", ...args, "-o", "json"])) as Resource;
}

async function list(...args: string[]): Promise<Resource[]> {
  return (JSON.parse(await cluster.ok(["get", ...args, "-o", "json"])) as { items: Resource[] })
    .items;
}

const hasTaint = (node: Resource, key: string, effect: string) =>
  (node.spec.taints ?? []).some((t) => t.key === key && t.effect === effect);

const condition = (object: Resource, type: string) =>
  object.status.conditions?.find((c) => c.type === type);

async function apply(object: unknown): Promise<void> {
  await cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(object) });
}

function pinnedPod(name: string, tolerations: unknown[] = []) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { role: "doomed" } as Record<string, string> },
    spec: {
      nodeName: "doomed-0",
      tolerations,
      containers: [{ name: "c", image: "nginx" }],
    },
  };
}

beforeAll(async () => {
  cluster = await startCluster({
    args: ["--node-monitor-grace-period", "20s", "--node-monitor-period", "1s"],
  });
  [hollow, doomed] = await Promise.all([
    startHollow(cluster, { count: 3, labels: "pool=main" }),
    startHollow(cluster, { count: 1, namePrefix: "doomed-" }),
  ]);
  // The doomed node's pods: one tolerates an unreachable node for 2 s, one for the default 300 s.
  await apply(
    pinnedPod("fragile", [
      {
        key: "node.kubernetes.io/unreachable",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 2,
      },
    ]),
  );
  await apply(pinnedPod("patient"));
  // A ReplicaSet's pod on the doomed node (adopted: it was there first), to be replaced elsewhere.
  const moving = pinnedPod("moving-0", [
    {
      key: "node.kubernetes.io/unreachable",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 2,
    },
  ]);
  moving.metadata.labels = { role: "doomed", app: "moving" };
  await apply(moving);
  await apply({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "moving", namespace: "default" },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "moving" } },
      template: {
        metadata: { labels: { app: "moving" } },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      },
    },
  });
  await until("the doomed node's pods to run, one adopted by the ReplicaSet", async () => {
    const pods = await list("pods", "-l", "role=doomed");
    const adopted = pods.find((p) => p.metadata.name === "moving-0")?.metadata.ownerReferences;
    return pods.length === 3 &&
      adopted?.[0]?.name === "moving" &&
      pods.every((p) => condition(p, "Ready")?.status === "True")
      ? true
      : undefined;
  });
  // Its agent dies now; the tests below run while the grace period passes.
  await stopHollow(doomed);
  doomed = undefined;
}, 120_000);

afterAll(async () => {
  await stopHollow(doomed);
  await stopHollow(hollow);
  await cluster?.stop();
});

describe("cordon and drain", () => {
  test("a cordoned node is SchedulingDisabled, tainted unschedulable, and avoided", async () => {
    await cluster.ok(["cordon", "hollow-0"]);
    const row = await cluster.ok(["get", "node", "hollow-0", "--no-headers"]);
    expect(row).toMatch(/^hollow-0\s+Ready,SchedulingDisabled\s/);
    await until("the unschedulable taint", async () =>
      hasTaint(await get("node", "hollow-0"), "node.kubernetes.io/unschedulable", "NoSchedule")
        ? true
        : undefined,
    );
    await apply({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "web", namespace: "default" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            nodeSelector: { pool: "main" },
            containers: [{ name: "c", image: "nginx", resources: { requests: { cpu: "100m" } } }],
          },
        },
      },
    });
    const pods = await until("three web pods Running and Ready", async () => {
      const found = await list("pods", "-l", "app=web");
      const ready = found.filter((p) => condition(p, "Ready")?.status === "True");
      return ready.length === 3 ? ready : undefined;
    });
    for (const pod of pods) expect(["hollow-1", "hollow-2"]).toContain(pod.spec.nodeName ?? "");
  });

  test("drain waits for the disruption budget, and evicts once it allows", async () => {
    await apply({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "web", namespace: "default" },
      spec: { minAvailable: 3, selector: { matchLabels: { app: "web" } } },
    });
    const budget = await until("the budget's status", async () => {
      const pdb = await get("pdb", "web");
      return pdb.status.currentHealthy === 3 ? pdb : undefined;
    });
    expect(budget.status).toMatchObject({ expectedPods: 3, disruptionsAllowed: 0 });
    expect(condition(budget, "DisruptionAllowed")).toMatchObject({
      status: "False",
      reason: "InsufficientPods",
    });

    const pods = await list("pods", "-l", "app=web");
    const target = pods[0]?.spec.nodeName ?? "";
    const blocked = await cluster.kubectl([
      "drain",
      target,
      "--ignore-daemonsets",
      "--timeout",
      "10s",
    ]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain(
      "Cannot evict pod as it would violate the pod's disruption budget.",
    );
    expect((await list("pods", "-l", "app=web")).every((p) => !p.metadata.deletionTimestamp)).toBe(
      true,
    );

    // Half the ReplicaSet's scale may go: the budget now counts its replicas.
    await cluster.ok([
      "patch",
      "pdb",
      "web",
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { minAvailable: null, maxUnavailable: "50%" } }),
    ]);
    await until("the relaxed budget to allow disruptions", async () => {
      const pdb = await get("pdb", "web");
      return pdb.status.observedGeneration === pdb.metadata.generation &&
        (pdb.status.disruptionsAllowed ?? 0) > 0
        ? pdb
        : undefined;
    });
    const drained = await cluster.ok(["drain", target, "--ignore-daemonsets", "--timeout", "60s"]);
    expect(drained).toContain(`node/${target} drained`);
    expect(drained).toMatch(/pod\/web-\S+ evicted/);
    const left = (await list("pods", "-l", "app=web")).filter((p) => p.spec.nodeName === target);
    expect(left).toEqual([]);
    const node = await get("node", target);
    expect(node.spec.unschedulable).toBe(true);

    await cluster.ok(["uncordon", target, "hollow-0"]);
    await until("the unschedulable taints to go", async () => {
      const nodes = await Promise.all([get("node", target), get("node", "hollow-0")]);
      return nodes.every((n) => !n.spec.unschedulable && (n.spec.taints ?? []).length === 0)
        ? true
        : undefined;
    });
  }, 60_000);
});

describe("node failure", () => {
  test("a node whose agent died turns Unknown and is tainted; its pods are evicted and replaced elsewhere", async () => {
    const node = await until(
      "doomed-0 to be marked unreachable",
      async () => {
        const found = await get("node", "doomed-0");
        return hasTaint(found, "node.kubernetes.io/unreachable", "NoExecute") ? found : undefined;
      },
      40_000,
    );
    expect(condition(node, "Ready")).toMatchObject({
      status: "Unknown",
      reason: "NodeStatusUnknown",
    });
    expect(hasTaint(node, "node.kubernetes.io/unreachable", "NoSchedule")).toBe(true);
    expect(condition(node, "MemoryPressure")?.status).toBe("Unknown");

    const fragile = await until("the fragile pod to be deleted", async () => {
      const pod = await get("pod", "fragile");
      return pod.metadata.deletionTimestamp ? pod : undefined;
    });
    expect(condition(fragile, "DisruptionTarget")).toMatchObject({
      status: "True",
      reason: "DeletionByTaintManager",
    });
    const events = await cluster.ok([
      "get",
      "events",
      "--field-selector",
      "reason=TaintManagerEviction",
      "-o",
      "jsonpath={.items[*].message}",
    ]);
    expect(events).toContain("Marking for deletion Pod default/fragile");
    const nodeEvents = await cluster.ok([
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=doomed-0,reason=NodeNotReady",
      "-o",
      "jsonpath={.items[*].message}",
    ]);
    expect(nodeEvents).toContain("Node doomed-0 status is now: NodeNotReady");

    // The ReplicaSet replaces its evicted pod on a node that is alive.
    const replacement = await until("the ReplicaSet's pod to run elsewhere", async () => {
      const pods = await list("pods", "-l", "app=moving");
      return pods.find(
        (p) =>
          !p.metadata.deletionTimestamp &&
          p.spec.nodeName?.startsWith("hollow-") &&
          condition(p, "Ready")?.status === "True",
      );
    });
    expect(replacement.metadata.name).not.toBe("moving-0");

    // The default toleration is five minutes: that pod stays, marked not Ready.
    const patient = await get("pod", "patient");
    expect(patient.metadata.deletionTimestamp).toBeUndefined();
    expect(condition(patient, "Ready")?.status).toBe("False");
  }, 60_000);

  test("a node that comes back loses the taints, and the evicted pod is gone", async () => {
    doomed = await startHollow(cluster, { count: 1, namePrefix: "doomed-" });
    const node = await until("doomed-0 to be Ready and untainted", async () => {
      const found = await get("node", "doomed-0");
      return condition(found, "Ready")?.status === "True" && (found.spec.taints ?? []).length === 0
        ? found
        : undefined;
    });
    expect(node.spec.taints).toBeUndefined();
    await until("the fragile pod to be gone", async () => {
      const result = await cluster.kubectl(["get", "pod", "fragile"]);
      return result.code !== 0 && result.stderr.includes("NotFound") ? true : undefined;
    });
    expect((await get("pod", "patient")).metadata.deletionTimestamp).toBeUndefined();
  }, 60_000);
});

/**
 * The scheduler end to end: a real `kubun server` (no node agent) with nodes created
 * by kubectl. Pods without a node are bound to one that fits; a nodeSelector picks the
 * labelled node; an oversized pod stays Pending with FailedScheduling; a tainted node is
 * avoided unless the pod tolerates the taint.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;

/** Polls `check` until it returns a value, for at most `timeoutMs`. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(200);
  }
}

async function createNode(
  name: string,
  labels: Record<string, string> = {},
  taints: unknown[] = [],
) {
  await cluster.ok(["create", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } },
      spec: { taints },
    }),
  });
  const resources = { cpu: "2", memory: "4Gi", pods: "110" };
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await cluster.ok([
    "patch",
    "node",
    name,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({
      status: {
        capacity: resources,
        allocatable: resources,
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            message: "ready",
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
      },
    }),
  ]);
}

async function createPod(name: string, spec: Record<string, unknown> = {}, cpu = "100m") {
  await cluster.ok(["create", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "default" },
      spec: {
        containers: [{ name: "c", image: "busybox", resources: { requests: { cpu } } }],
        ...spec,
      },
    }),
  });
}

async function nodeOf(pod: string): Promise<string> {
  return until(`${pod} to be bound`, async () => {
    const out = await cluster.ok(["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"]);
    return out || undefined;
  });
}

async function eventsFor(pod: string): Promise<{ reason: string; message: string }[]> {
  const out = await cluster.ok([
    "get",
    "events",
    "--field-selector",
    `involvedObject.name=${pod}`,
    "-o",
    "json",
  ]);
  return (JSON.parse(out) as { items: { reason: string; message: string }[] }).items;
}

beforeAll(async () => {
  cluster = await startCluster();
  await createNode("node-a", { disk: "ssd" });
  await createNode("node-b");
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("scheduler", () => {
  test("binds a pod without a node to a fitting node and records Scheduled", async () => {
    await createPod("plain");
    const node = await nodeOf("plain");
    expect(["node-a", "node-b"]).toContain(node);
    const event = await until("Scheduled event", async () =>
      (await eventsFor("plain")).find((e) => e.reason === "Scheduled"),
    );
    expect(event.message).toBe(`Successfully assigned default/plain to ${node}`);
  });

  test("a nodeSelector lands the pod on the labelled node", async () => {
    await createPod("picky", { nodeSelector: { disk: "ssd" } });
    expect(await nodeOf("picky")).toBe("node-a");
  });

  test("an oversized pod stays Pending with FailedScheduling", async () => {
    await createPod("huge", {}, "64");
    const event = await until("FailedScheduling event", async () =>
      (await eventsFor("huge")).find((e) => e.reason === "FailedScheduling"),
    );
    expect(event.message).toBe("0/2 nodes are available: 2 Insufficient cpu.");
    const pod = JSON.parse(await cluster.ok(["get", "pod", "huge", "-o", "json"])) as {
      spec: { nodeName?: string };
      status: {
        conditions?: { type: string; status: string; reason?: string; message?: string }[];
      };
    };
    expect(pod.spec.nodeName).toBeUndefined();
    expect(pod.status.conditions?.find((c) => c.type === "PodScheduled")).toMatchObject({
      status: "False",
      reason: "Unschedulable",
      message: "0/2 nodes are available: 2 Insufficient cpu.",
    });
  });

  test("a tainted node is avoided unless tolerated; a new node unblocks a pending pod", async () => {
    await createNode("node-t", { only: "t" }, [
      { key: "dedicated", value: "gpu", effect: "NoSchedule" },
    ]);
    await createPod("shy", { nodeSelector: { only: "t" } });
    const event = await until("FailedScheduling event", async () =>
      (await eventsFor("shy")).find((e) => e.reason === "FailedScheduling"),
    );
    expect(event.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector.",
    );
    await createPod("tolerant", {
      nodeSelector: { only: "t" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
    });
    expect(await nodeOf("tolerant")).toBe("node-t");
    // Removing the taint (a node update) retries the pending pod.
    await cluster.ok(["taint", "node", "node-t", "dedicated=gpu:NoSchedule-"]);
    expect(await nodeOf("shy")).toBe("node-t");
  });
});

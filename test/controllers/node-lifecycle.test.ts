import { afterEach, describe, expect, test } from "bun:test";
import { NodeLifecycleController } from "../../src/controllers/node-lifecycle.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

function node(name: string, status = "True", taints: unknown[] = []): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: "3",
      creationTimestamp: stamp(T0 - 60_000),
    },
    spec: taints.length > 0 ? { taints } : {},
    status: {
      conditions: [
        {
          type: "Ready",
          status,
          reason: "KubeletReady",
          lastHeartbeatTime: stamp(T0 - 1000),
          lastTransitionTime: stamp(T0 - 50_000),
        },
      ],
    },
  };
}

const lease = (name: string, renewTime: number): KubeObject => ({
  metadata: { name, namespace: "kube-node-lease", resourceVersion: String(renewTime) },
  spec: { holderIdentity: name, renewTime: new Date(renewTime).toISOString() },
});

const pod = (name: string, nodeName: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "4" },
  spec: { nodeName },
  status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
});

/** Lets the event recorder's queued writes happen. */

describe("NodeLifecycleController", () => {
  let controller: NodeLifecycleController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(nodes: KubeObject[], pods: KubeObject[] = []) {
    const fake = new FakeClient();
    const client = fake.asClient();
    const clock = { now: T0 };
    controller = new NodeLifecycleController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => clock.now,
    });
    controller.nodes.replace(nodes, "1");
    controller.pods.replace(pods, "1");
    controller.leases.replace(
      nodes.map((n) => lease(n.metadata?.name ?? "", T0)),
      "1",
    );
    const writes = () =>
      fake.actions
        .filter((a) => a.verb !== "get" && !a.path.includes("/events"))
        .map((a) => `${a.verb} ${a.path}`);
    const events = () =>
      fake.actions
        .filter((a) => a.verb === "create" && a.path.endsWith("/events"))
        .map(
          (a) =>
            `${a.body?.involvedObject && (a.body.involvedObject as KubeObject).kind} ${a.body?.reason}: ${a.body?.message}`,
        );
    return { fake, controller, clock, writes, events };
  }

  test("a node that stops renewing its Lease turns Unknown, its pods not Ready, then tainted", async () => {
    const { fake, controller, clock, writes, events } = setUp(
      [node("alive"), node("dead")],
      [pod("web", "dead")],
    );
    await controller.monitor();
    expect(writes()).toEqual([]);

    clock.now = T0 + 41_000;
    controller.leases.replace([lease("alive", clock.now), lease("dead", T0)], "2");
    await controller.monitor();
    await controller.recorder.flush();
    expect(writes()).toEqual([
      "updateStatus /api/v1/nodes/dead",
      "updateStatus /api/v1/namespaces/default/pods/web",
    ]);
    const written =
      fake.actions[fake.actions.findIndex((a) => a.path === "/api/v1/nodes/dead")]?.body;
    const ready = (written?.status as { conditions: Record<string, unknown>[] }).conditions[0];
    expect(ready).toMatchObject({
      status: "Unknown",
      reason: "NodeStatusUnknown",
      message: "Kubelet stopped posting node status.",
    });
    const podStatus = fake.actions.find((a) => a.path.endsWith("/pods/web"))?.body?.status;
    expect(podStatus).toMatchObject({ conditions: [{ type: "Ready", status: "False" }] });
    expect(events()).toEqual([
      "Node RegisteredNode: Registered Node alive in Controller",
      "Node RegisteredNode: Registered Node dead in Controller",
      "Node NodeNotReady: Node dead status is now: NodeNotReady",
      "Pod NodeNotReady: Node is not ready",
    ]);

    // The informer sees the Unknown node: the NoExecute taint follows.
    fake.actions.length = 0;
    const unknown = { ...node("dead"), status: written?.status };
    unknown.metadata = { ...unknown.metadata, resourceVersion: "9" };
    controller.nodes.replace([node("alive"), unknown], "3");
    clock.now = T0 + 42_000;
    controller.leases.replace([lease("alive", clock.now), lease("dead", T0)], "3");
    await controller.monitor();
    expect(writes()).toEqual(["update /api/v1/nodes/dead"]);
    expect(fake.actions.find((a) => a.verb === "update")?.body?.spec).toEqual({
      taints: [
        { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: stamp(clock.now) },
      ],
    });
  });

  test("a node that is Ready again loses its NoExecute taints", async () => {
    const taints = [
      { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: stamp(T0) },
      { key: "dedicated", value: "db", effect: "NoSchedule" },
    ];
    const { fake, controller, writes } = setUp([node("alive"), node("back", "True", taints)]);
    await controller.monitor();
    expect(writes()).toEqual(["update /api/v1/nodes/back"]);
    expect(fake.actions.find((a) => a.verb === "update")?.body?.spec).toEqual({
      taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }],
    });
  });

  test("when every node is lost, nothing is tainted and NoExecute taints are lifted", async () => {
    const taint = {
      key: "node.kubernetes.io/unreachable",
      effect: "NoExecute",
      timeAdded: stamp(T0),
    };
    const { controller, clock, writes } = setUp([
      node("a", "Unknown", [taint]),
      node("b", "Unknown"),
    ]);
    await controller.monitor();
    clock.now = T0 + 60_000;
    await controller.monitor();
    expect(writes()).toEqual(["update /api/v1/nodes/a"]);
  });

  test("NoSchedule taints follow the conditions and spec.unschedulable", async () => {
    const cordoned = node("n", "False");
    cordoned.spec = {
      unschedulable: true,
      taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }],
    };
    const { fake, controller, writes } = setUp([cordoned]);
    await controller.sync("node/n");
    expect(writes()).toEqual(["update /api/v1/nodes/n"]);
    const taints = (fake.actions[0]?.body?.spec as { taints: { key: string }[] }).taints;
    expect(taints.map((t) => t.key)).toEqual([
      "node.kubernetes.io/not-ready",
      "node.kubernetes.io/unschedulable",
    ]);
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import { PodGcController } from "../../src/controllers/pod-gc.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

function pod(
  name: string,
  phase: string,
  options: { node?: string; created?: string; deleting?: boolean; evicted?: boolean } = {},
): KubeObject {
  return {
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      creationTimestamp: options.created ?? "2024-05-01T10:00:00Z",
      ...(options.deleting ? { deletionTimestamp: "2024-05-01T11:00:00Z" } : {}),
    },
    spec: options.node === "" ? {} : { nodeName: options.node ?? "node-1" },
    status: { phase, ...(options.evicted ? { reason: "Evicted" } : {}) },
  };
}

const node = (name: string, ready = true, outOfService = false): KubeObject => ({
  metadata: { name },
  spec: outOfService
    ? { taints: [{ key: "node.kubernetes.io/out-of-service", effect: "NoExecute" }] }
    : {},
  status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

describe("PodGcController", () => {
  let controller: PodGcController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(pods: KubeObject[], nodes: KubeObject[], threshold = 2) {
    const fake = new FakeClient();
    let now = Date.parse("2024-05-01T12:00:00Z");
    const client = fake.asClient();
    controller = new PodGcController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      terminatedPodThreshold: threshold,
      quarantineMs: 1000,
      now: () => now,
    });
    controller.pods.replace(pods, "1");
    controller.nodes.replace(nodes, "1");
    const advance = (ms: number) => {
      now += ms;
    };
    return { fake, controller, advance };
  }

  test("deletes terminated pods beyond the threshold, evicted and oldest first", async () => {
    const { fake, controller } = setUp(
      [
        pod("new", "Succeeded", { created: "2024-05-01T11:00:00Z" }),
        pod("old", "Failed", { created: "2024-05-01T09:00:00Z" }),
        pod("evicted", "Failed", { created: "2024-05-01T11:30:00Z", evicted: true }),
        pod("mid", "Succeeded", { created: "2024-05-01T10:00:00Z" }),
        pod("running", "Running", { created: "2024-05-01T08:00:00Z" }),
      ],
      [node("node-1")],
    );
    await controller.sync();
    expect(fake.writes().sort()).toEqual([
      "delete /api/v1/namespaces/default/pods/evicted",
      "delete /api/v1/namespaces/default/pods/old",
    ]);
    expect(fake.actions[0]?.options).toEqual({ gracePeriodSeconds: 0 });
  });

  test("the threshold 0 keeps every terminated pod", async () => {
    const { fake, controller } = setUp([pod("a", "Succeeded"), pod("b", "Failed")], [], 0);
    await controller.sync();
    expect(fake.writes()).toEqual([]);
  });

  test("force-deletes pods of a node that is gone, after the quarantine and a check", async () => {
    const { fake, controller, advance } = setUp([pod("orphan", "Running", { node: "gone" })], []);
    await controller.sync();
    expect(fake.actions).toEqual([]);
    advance(1500);
    await controller.sync();
    expect(fake.actions.map((a) => `${a.verb} ${a.path}`)).toEqual([
      "get /api/v1/nodes/gone",
      "patch /api/v1/namespaces/default/pods/orphan/status",
      "delete /api/v1/namespaces/default/pods/orphan",
    ]);
    expect(fake.actions[1]?.body).toEqual({
      status: {
        phase: "Failed",
        conditions: [
          {
            type: "DisruptionTarget",
            status: "True",
            reason: "DeletionByPodGC",
            message: "PodGC: node no longer exists",
            lastTransitionTime: "2024-05-01T12:00:01Z",
          },
        ],
      },
    });
  });

  test("keeps pods whose node the API server still has", async () => {
    const { fake, controller, advance } = setUp([pod("p", "Running", { node: "late" })], []);
    fake.respond = (action) => (action.verb === "get" ? node("late") : action.body);
    await controller.sync();
    advance(1500);
    await controller.sync();
    expect(fake.writes()).toEqual([]);
  });

  test("force-deletes terminating pods never scheduled or on an out-of-service node", async () => {
    const { fake, controller } = setUp(
      [
        pod("unscheduled", "Pending", { node: "", deleting: true }),
        pod("stuck", "Running", { node: "down", deleting: true }),
        pod("fine", "Running", { node: "node-1", deleting: true }),
      ],
      [node("node-1"), node("down", false, true)],
      100,
    );
    await controller.sync();
    expect(fake.writes().sort()).toEqual([
      "delete /api/v1/namespaces/default/pods/stuck",
      "delete /api/v1/namespaces/default/pods/unscheduled",
      "patch /api/v1/namespaces/default/pods/stuck/status",
      "patch /api/v1/namespaces/default/pods/unscheduled/status",
    ]);
  });
});

import { describe, expect, test } from "bun:test";
import { PodIpAllocator } from "../../../src/node-agent/hollow/hollow-addresses.ts";
import { runningPodStatus } from "../../../src/node-agent/hollow/hollow-pod-status.ts";
import { HollowPods } from "../../../src/node-agent/hollow/hollow-pods.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { apiError, eventually, FakeNodeClient } from "../node/fake-node-client.ts";

const POD = "/api/v1/namespaces/default/pods/p";

function pod(metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default", uid: "uid-1", ...metadata },
    spec: { nodeName: "hollow-0", containers: [{ name: "c", image: "nginx" }] },
    status: { phase: "Pending" },
  };
}

function setup() {
  const client = new FakeNodeClient();
  const ips = new PodIpAllocator(0);
  const pods = new HollowPods({ client, nodeName: "hollow-0", hostIP: "100.64.0.1", ips });
  return { client, ips, pods };
}

describe("HollowPods", () => {
  test("a bound pod is reported Running with an IP from the node's range", async () => {
    const { client, ips, pods } = setup();
    pods.replace([pod()]);
    await eventually(() => client.calls.length === 1);
    expect(client.writes()).toEqual([`patch ${POD}/status`]);
    const call = client.calls[0];
    expect(call?.options).toBe("strategic");
    expect((call?.body as { status: { podIP: string; phase: string } }).status).toMatchObject({
      phase: "Running",
      podIP: "10.64.0.2",
      hostIP: "100.64.0.1",
    });
    expect(ips.uids()).toEqual(["uid-1"]);
  });

  test("a pod already Running is left alone (and keeps its IP)", async () => {
    const { client, ips, pods } = setup();
    const running = {
      ...pod(),
      ...runningPodStatus(pod(), { hostIP: "100.64.0.1", podIP: "10.64.0.7" }, new Date()),
    };
    pods.modified(running);
    await eventually(() => ips.size === 1);
    expect(client.calls).toEqual([]);
    expect(ips.allocate("uid-1")).toBe("10.64.0.7");
  });

  test("deletion: final status first, then delete with grace 0 and the UID as precondition", async () => {
    const { client, ips, pods } = setup();
    ips.allocate("uid-1");
    pods.modified(pod({ deletionTimestamp: "2025-01-01T00:00:30Z" }));
    await eventually(() => client.calls.length === 2);
    expect(client.writes()).toEqual([`patch ${POD}/status`, `delete ${POD}`]);
    expect((client.calls[0]?.body as { status: { phase: string } }).status.phase).toBe("Succeeded");
    expect(client.calls[1]?.options).toEqual({
      gracePeriodSeconds: 0,
      preconditions: { uid: "uid-1" },
    });
    expect(ips.size).toBe(0);
  });

  test("a pod gone before we got to it is forgotten", async () => {
    const { client, ips, pods } = setup();
    client.respond = () => {
      throw apiError(404, "NotFound");
    };
    pods.modified(pod());
    await eventually(() => client.calls.length === 1);
    await eventually(() => ips.size === 0);
    pods.deleted(pod());
    expect(ips.size).toBe(0);
  });

  test("a relist frees the IPs of pods that went away unseen", async () => {
    const { client, ips, pods } = setup();
    pods.replace([pod()]);
    await eventually(() => client.calls.length === 1);
    expect(ips.size).toBe(1);
    pods.replace([]);
    expect(ips.size).toBe(0);
  });
});

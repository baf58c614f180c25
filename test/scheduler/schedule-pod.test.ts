import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../src/resources/kind.ts";
import { numFeasibleNodesToFind, SchedulingAlgorithm } from "../../src/scheduler/schedule-pod.ts";
import { fitErrorMessage, NodeToStatus, Status } from "../../src/scheduler/status.ts";
import { cacheWith, fakeHandle, framework, info, node, pod } from "./fixtures.ts";

describe("numFeasibleNodesToFind", () => {
  test("all nodes below 100; adaptive 50% − nodes/125 with floors of 5% and 100 nodes", () => {
    expect(numFeasibleNodesToFind(undefined, 50)).toBe(50);
    expect(numFeasibleNodesToFind(undefined, 150)).toBe(100);
    expect(numFeasibleNodesToFind(undefined, 1000)).toBe(420);
    expect(numFeasibleNodesToFind(undefined, 5000)).toBe(500);
    expect(numFeasibleNodesToFind(undefined, 10_000)).toBe(500);
    expect(numFeasibleNodesToFind(100, 5000)).toBe(5000);
  });
});

describe("SchedulingAlgorithm", () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => node(`n${String(i).padStart(3, "0")}`));

  test("evaluates a sample once enough nodes fit, starting where the last cycle stopped", () => {
    const cache = cacheWith(many(300));
    const fw = framework(fakeHandle(cache));
    const algorithm = new SchedulingAlgorithm(cache);
    const first = algorithm.schedulePod(fw, info(pod("a", { cpu: "100m" })));
    // 300 nodes: 50% − 2% = 48% of them, 144.
    expect("node" in first && [first.evaluated, first.feasible]).toEqual([144, 144]);
    const second = algorithm.schedulePod(fw, info(pod("b", { cpu: "100m" })));
    // The second pod looked at n144…n287: not at the nodes the first one sampled.
    if (!("node" in second)) throw new Error("not scheduled");
    expect(Number(second.node.slice(1))).toBeGreaterThanOrEqual(144);
    expect(Number(second.node.slice(1))).toBeLessThan(288);
  });

  test("breaks ties at random among the best nodes", () => {
    const cache = cacheWith(many(4));
    const fw = framework(fakeHandle(cache));
    const picks = new Set<string>();
    for (const r of [0, 0.3, 0.6, 0.99]) {
      const result = new SchedulingAlgorithm(cache, undefined, () => r).schedulePod(
        fw,
        info(pod("p")),
      );
      if ("node" in result) picks.add(result.node);
    }
    expect(picks.size).toBeGreaterThan(1);
  });

  test("prefers the emptier node, and reports every node's reason when none fits", () => {
    const cache = cacheWith(
      [
        node("busy"),
        node("idle"),
        node("tainted", { taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }),
      ],
      [pod("x", { cpu: "1500m", nodeName: "busy" })],
    );
    const fw = framework(fakeHandle(cache));
    const algorithm = new SchedulingAlgorithm(cache);
    expect(algorithm.schedulePod(fw, info(pod("p", { cpu: "100m" })))).toMatchObject({
      node: "idle",
    });
    cache.addPod(pod("y", { cpu: "1500m", nodeName: "idle" }));
    const result = algorithm.schedulePod(fw, info(pod("big", { cpu: "1" })));
    if (!("fitError" in result)) throw new Error("expected a fit error");
    expect(fitErrorMessage(result.fitError.numAllNodes, result.fitError.diagnosis)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.",
    );
    expect([...result.fitError.diagnosis.unschedulablePlugins].sort()).toEqual([
      "NodeResourcesFit",
      "TaintToleration",
    ]);
  });

  test("a DaemonSet pod's other nodes are reported as not satisfying NodeAffinity", () => {
    const cache = cacheWith(many(3), [pod("x", { cpu: "2", nodeName: "n001" })]);
    const fw = framework(fakeHandle(cache));
    const daemon: KubeObject = pod("d", {
      cpu: "1",
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: "metadata.name", operator: "In", values: ["n001"] }] },
              ],
            },
          },
        },
      },
    });
    const result = new SchedulingAlgorithm(cache).schedulePod(fw, info(daemon));
    if (!("fitError" in result)) throw new Error("expected a fit error");
    expect(fitErrorMessage(3, result.fitError.diagnosis)).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    );
  });

  test("a PreFilter rejection is the whole message; no nodes is its own error", () => {
    const cache = cacheWith(many(2));
    const fw = framework(fakeHandle(cache));
    const withClaim = pod("p", {
      spec: { volumes: [{ name: "d", persistentVolumeClaim: { claimName: "gone" } }] },
    });
    const result = new SchedulingAlgorithm(cache).schedulePod(fw, info(withClaim));
    if (!("fitError" in result)) throw new Error("expected a fit error");
    expect(fitErrorMessage(2, result.fitError.diagnosis)).toBe(
      '0/2 nodes are available: persistentvolumeclaim "gone" not found.',
    );
    expect(new SchedulingAlgorithm(cacheWith([])).schedulePod(fw, info(pod("q")))).toMatchObject({
      error: "no nodes available to schedule pods",
    });
  });

  test("reasons sort as Go strings (10 before 9)", () => {
    const statuses = new NodeToStatus();
    for (let i = 0; i < 10; i++) statuses.set(`a${i}`, Status.unschedulable("Insufficient cpu"));
    for (let i = 0; i < 9; i++) statuses.set(`b${i}`, Status.unschedulable("Insufficient memory"));
    expect(fitErrorMessage(19, { nodeToStatus: statuses, unschedulablePlugins: new Set() })).toBe(
      "0/19 nodes are available: 10 Insufficient cpu, 9 Insufficient memory.",
    );
  });
});

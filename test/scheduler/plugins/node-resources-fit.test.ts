import { describe, expect, test } from "bun:test";
import { CycleState } from "../../../src/scheduler/framework.ts";
import { NodeResourcesBalancedAllocation } from "../../../src/scheduler/plugins/balanced-allocation.ts";
import { NodeResourcesFit } from "../../../src/scheduler/plugins/node-resources-fit.ts";
import { Code } from "../../../src/scheduler/status.ts";
import { cacheWith, info, node, pod } from "../fixtures.ts";

const state = new CycleState();

describe("NodeResourcesFit filter", () => {
  test("counts the requests of the pods already on the node", () => {
    const cache = cacheWith([node("a")], [pod("p1", { cpu: "1", nodeName: "a" })]);
    const a = cache.getNode("a");
    if (!a) throw new Error("no node");
    const fit = new NodeResourcesFit();
    expect(fit.filter(state, info(pod("q", { cpu: "1" })), a)).toBeUndefined();
    const status = fit.filter(state, info(pod("q", { cpu: "1500m" })), a);
    expect(status?.reasons).toEqual(["Insufficient cpu"]);
    // Evicting p1 would make room: preemption may try this node.
    expect(status?.code).toBe(Code.Unschedulable);
  });

  test("a request larger than the whole node is unresolvable", () => {
    const a = cacheWith([node("a")]).getNode("a");
    if (!a) throw new Error("no node");
    const status = new NodeResourcesFit().filter(
      state,
      info(pod("q", { cpu: "3", memory: "8Gi" })),
      a,
    );
    expect(status?.reasons).toEqual(["Insufficient cpu", "Insufficient memory"]);
    expect(status?.code).toBe(Code.UnschedulableAndUnresolvable);
  });

  test("checks the pod count and extended resources, unless ignored", () => {
    const cache = cacheWith(
      [node("a", { pods: "1", extra: { "example.com/gpu": "1" } })],
      [pod("p1", { nodeName: "a" })],
    );
    const a = cache.getNode("a");
    if (!a) throw new Error("no node");
    const gpu = pod("q", {
      spec: { containers: [{ name: "c", resources: { requests: { "example.com/gpu": "2" } } }] },
    });
    expect(new NodeResourcesFit().filter(state, info(gpu), a)?.reasons).toEqual([
      "Too many pods",
      "Insufficient example.com/gpu",
    ]);
    expect(
      new NodeResourcesFit({ ignoredResourceGroups: ["example.com"] }).filter(state, info(gpu), a)
        ?.reasons,
    ).toEqual(["Too many pods"]);
  });
});

describe("NodeResourcesFit scoring", () => {
  // Node with 4 cpu and 8Gi; pods already request 1 cpu and 2Gi.
  const cache = cacheWith(
    [node("a", { cpu: "4", memory: "8Gi" })],
    [pod("p1", { cpu: "1", memory: "2Gi", nodeName: "a" })],
  );
  const a = cache.getNode("a");
  const incoming = info(pod("q", { cpu: "1", memory: "2Gi" }));

  test("LeastAllocated: the share left free, averaged over cpu and memory", () => {
    if (!a) throw new Error("no node");
    // cpu (4-2)/4 = 50, memory (8-4)/8 = 50.
    expect(new NodeResourcesFit().score(state, incoming, a)).toBe(50);
    const lighter = info(pod("r", { cpu: "500m", memory: "1Gi" }));
    // cpu (4-1.5)/4 = 62.5 → 62, memory (8-3)/8 = 62.5 → 62.
    expect(new NodeResourcesFit().score(state, lighter, a)).toBe(62);
  });

  test("MostAllocated favours fuller nodes; weights apply per resource", () => {
    if (!a) throw new Error("no node");
    const most = new NodeResourcesFit({
      scoringStrategy: {
        type: "MostAllocated",
        resources: [
          { name: "cpu", weight: 3 },
          { name: "memory", weight: 1 },
        ],
      },
    });
    expect(most.score(state, info(pod("r", { cpu: "2", memory: "2Gi" })), a)).toBe(
      Math.trunc((75 * 3 + 50) / 4),
    );
  });

  test("RequestedToCapacityRatio follows the configured shape", () => {
    if (!a) throw new Error("no node");
    const ratio = new NodeResourcesFit({
      scoringStrategy: {
        type: "RequestedToCapacityRatio",
        requestedToCapacityRatio: {
          shape: [
            { utilization: 0, score: 0 },
            { utilization: 100, score: 10 },
          ],
        },
      },
    });
    expect(ratio.score(state, incoming, a)).toBe(50);
  });

  test("BalancedAllocation: 100 when cpu and memory are used alike, less when not", () => {
    if (!a) throw new Error("no node");
    const balanced = new NodeResourcesBalancedAllocation();
    expect(balanced.score(state, incoming, a)).toBe(100);
    // cpu (1+3)/4 = 1, memory (2+0)/8 = .25: std .375 → 62.
    expect(balanced.score(state, info(pod("r", { cpu: "3" })), a)).toBe(62);
    expect(balanced.preScore(state, info(pod("best-effort")))?.isSkip).toBe(true);
  });
});

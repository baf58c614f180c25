import { describe, expect, test } from "bun:test";
import {
  filterNode,
  fitErrorMessage,
  leastAllocatedScore,
  matchesRequirement,
  podRequests,
  schedulePod,
} from "../../src/scheduler/filters.ts";

const node = (
  name: string,
  extra: {
    labels?: Record<string, string>;
    taints?: unknown[];
    cpu?: string;
    ready?: string;
    unschedulable?: boolean;
  } = {},
) => ({
  metadata: { name, labels: extra.labels ?? {} },
  spec: { taints: extra.taints, unschedulable: extra.unschedulable },
  status: {
    allocatable: { cpu: extra.cpu ?? "2", memory: "4Gi", pods: "110" },
    conditions: [{ type: "Ready", status: extra.ready ?? "True" }],
  },
});
const pod = (cpu?: string, spec: Record<string, unknown> = {}) => ({
  metadata: { name: "p", namespace: "default" },
  spec: { containers: [{ name: "c", resources: { requests: cpu ? { cpu } : {} } }], ...spec },
});

describe("filters", () => {
  test("init-container max rule", () => {
    const p = pod("100m", {
      initContainers: [{ name: "i", resources: { requests: { cpu: "500m" } } }],
    });
    expect(podRequests(p).cpu).toBe(500n);
  });
  test("resources count pods already on the node", () => {
    expect(filterNode(pod("1500m"), { node: node("a"), pods: [pod("1")] })).toEqual([
      "Insufficient cpu",
    ]);
    expect(filterNode(pod("1"), { node: node("a"), pods: [pod("1")] })).toEqual([]);
  });
  test("taints, tolerations, readiness, unschedulable", () => {
    const tainted = node("a", { taints: [{ key: "k", value: "v", effect: "NoSchedule" }] });
    expect(filterNode(pod(), { node: tainted, pods: [] })).toEqual([
      "node(s) had untolerated taint {k: v}",
    ]);
    expect(
      filterNode(pod(undefined, { tolerations: [{ key: "k", operator: "Exists" }] }), {
        node: tainted,
        pods: [],
      }),
    ).toEqual([]);
    expect(filterNode(pod(), { node: node("a", { ready: "False" }), pods: [] })).toEqual([
      "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
    ]);
    expect(filterNode(pod(), { node: node("a", { unschedulable: true }), pods: [] })).toEqual([
      "node(s) were unschedulable",
    ]);
  });
  test("node affinity operators", () => {
    const labels = { zone: "a", gen: "5" };
    expect(matchesRequirement({ key: "zone", operator: "In", values: ["a", "b"] }, labels)).toBe(
      true,
    );
    expect(matchesRequirement({ key: "zone", operator: "NotIn", values: ["a"] }, labels)).toBe(
      false,
    );
    expect(matchesRequirement({ key: "x", operator: "DoesNotExist" }, labels)).toBe(true);
    expect(matchesRequirement({ key: "zone", operator: "Exists" }, labels)).toBe(true);
    expect(matchesRequirement({ key: "gen", operator: "Gt", values: ["4"] }, labels)).toBe(true);
    expect(matchesRequirement({ key: "gen", operator: "Lt", values: ["4"] }, labels)).toBe(false);
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] },
          ],
        },
      },
    };
    expect(
      filterNode(pod(undefined, { affinity }), { node: node("a", { labels }), pods: [] }),
    ).toEqual(["node(s) didn't match Pod's node affinity/selector"]);
  });
});

describe("scoring and messages", () => {
  test("LeastAllocated prefers the emptier node", () => {
    const p = pod("500m");
    expect(leastAllocatedScore(p, { node: node("a"), pods: [pod("1")] })).toBeLessThan(
      leastAllocatedScore(p, { node: node("b"), pods: [] }),
    );
    expect(
      schedulePod(p, [
        { node: node("a"), pods: [pod("1")] },
        { node: node("b"), pods: [] },
      ]),
    ).toMatchObject({ node: "b" });
  });
  test("upstream's FitError shape", () => {
    const reasons = new Map([
      ["a", ["node(s) had untolerated taint {k: v}"]],
      ["b", ["Insufficient cpu"]],
      ["c", ["Insufficient cpu"]],
    ]);
    expect(fitErrorMessage(3, reasons)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.",
    );
    const result = schedulePod(pod("64"), [
      { node: node("a"), pods: [] },
      { node: node("b"), pods: [] },
    ]);
    expect(result).toEqual({ message: "0/2 nodes are available: 2 Insufficient cpu." });
  });
});

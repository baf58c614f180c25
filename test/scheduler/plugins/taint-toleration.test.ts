import { describe, expect, test } from "bun:test";
import { CycleState } from "../../../src/scheduler/framework.ts";
import { NodeUnschedulable } from "../../../src/scheduler/plugins/node-unschedulable.ts";
import { TaintToleration } from "../../../src/scheduler/plugins/taint-toleration.ts";
import { Code } from "../../../src/scheduler/status.ts";
import { cacheWith, info, node, pod } from "../fixtures.ts";

describe("TaintToleration", () => {
  const cache = cacheWith([
    node("tainted", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }),
    node("prefer", { taints: [{ key: "soft", effect: "PreferNoSchedule" }] }),
    node("plain"),
    node("not-ready", { ready: "False" }),
  ]);
  const get = (name: string) => {
    const found = cache.getNode(name);
    if (!found) throw new Error(`no node ${name}`);
    return found;
  };
  const plugin = new TaintToleration();

  test("filters out untolerated NoSchedule taints with upstream's message", () => {
    const status = plugin.filter(new CycleState(), info(pod("p")), get("tainted"));
    expect(status?.reasons).toEqual(["node(s) had untolerated taint {dedicated: gpu}"]);
    expect(status?.code).toBe(Code.UnschedulableAndUnresolvable);
    const tolerant = pod("t", {
      spec: {
        tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
      },
    });
    expect(plugin.filter(new CycleState(), info(tolerant), get("tainted"))).toBeUndefined();
    const everything = pod("e", { spec: { tolerations: [{ operator: "Exists" }] } });
    expect(plugin.filter(new CycleState(), info(everything), get("tainted"))).toBeUndefined();
    expect(plugin.filter(new CycleState(), info(pod("p")), get("prefer"))).toBeUndefined();
  });

  test("a node that is not ready counts as tainted not-ready", () => {
    expect(plugin.filter(new CycleState(), info(pod("p")), get("not-ready"))?.reasons).toEqual([
      "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
    ]);
  });

  test("scores untolerated PreferNoSchedule taints down", () => {
    const state = new CycleState();
    const nodes = [get("prefer"), get("plain")];
    const p = info(pod("p"));
    expect(plugin.preScore(state, p, nodes)).toBeUndefined();
    const scores = new Float64Array(nodes.map((n) => plugin.score(state, p, n)));
    plugin.normalizeScore(state, p, nodes, scores);
    expect([...scores]).toEqual([0, 100]);
    expect(plugin.preScore(new CycleState(), p, [get("plain")])?.isSkip).toBe(true);
  });

  test("NodeUnschedulable rejects cordoned nodes unless the pod tolerates it", () => {
    const cordoned = cacheWith([node("c", { unschedulable: true })]).getNode("c");
    if (!cordoned) throw new Error("no node");
    const unschedulable = new NodeUnschedulable();
    expect(unschedulable.filter(new CycleState(), info(pod("p")), cordoned)?.reasons).toEqual([
      "node(s) were unschedulable",
    ]);
    const tolerant = pod("t", {
      spec: { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists" }] },
    });
    expect(unschedulable.filter(new CycleState(), info(tolerant), cordoned)).toBeUndefined();
  });
});

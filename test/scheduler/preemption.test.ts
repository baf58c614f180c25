import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../src/resources/kind.ts";
import { CycleState } from "../../src/scheduler/framework.ts";
import {
  type Candidate,
  type DefaultPreemption,
  pickOneNode,
  splitByPdbViolation,
} from "../../src/scheduler/plugins/default-preemption.ts";
import type { PodInfo } from "../../src/scheduler/pod-info.ts";
import { SchedulingAlgorithm } from "../../src/scheduler/schedule-pod.ts";
import { Code, fitErrorMessage, Status } from "../../src/scheduler/status.ts";
import { cacheWith, type FakeWorld, fakeHandle, framework, info, node, pod } from "./fixtures.ts";

const low = (name: string, nodeName: string, cpu = "1", extra: Record<string, unknown> = {}) =>
  pod(name, { cpu, nodeName, priority: 0, labels: { app: "low" }, ...extra });

/** Schedules `incoming` on `nodes`/`pods`; on a fit error runs DefaultPreemption. */
function preempt(
  nodes: KubeObject[],
  pods: KubeObject[],
  incoming: KubeObject,
  world: FakeWorld = {},
) {
  const cache = cacheWith(nodes, pods);
  const handle = fakeHandle(cache, world);
  const fw = framework(handle);
  const p = info(incoming);
  const result = new SchedulingAlgorithm(cache).schedulePod(fw, p);
  if (!("fitError" in result)) throw new Error("expected the pod not to fit");
  const post = fw.runPostFilter(result.state, p, result.fitError.diagnosis.nodeToStatus);
  return { handle, post, result };
}

describe("DefaultPreemption", () => {
  test("evicts the fewest, least important pods on the best node and nominates it", async () => {
    const nodes = [node("a"), node("b")];
    const pods = [
      low("a1", "a"),
      low("a2", "a", "1", { priority: 5 }),
      low("b1", "b", "500m"),
      low("b2", "b", "500m"),
      low("b3", "b", "1", { priority: 10 }),
    ];
    const { handle, post } = preempt(nodes, pods, pod("vip", { cpu: "1", priority: 100 }));
    expect(post.status.code).toBe(Code.Success);
    // a: one victim of priority 0; b: would need b1+b2 (more victims) — a wins on
    // "lowest highest priority" (0 vs 0) then "smallest priority sum" (2^31 vs 2·2^31).
    expect(post.nominatedNodeName).toBe("a");
    await Bun.sleep(0);
    await Bun.sleep(0);
    const verbs = handle.calls.map((c) => `${c.verb} ${c.path}`);
    expect(verbs).toEqual([
      "patch /api/v1/namespaces/default/pods/a1/status",
      "delete /api/v1/namespaces/default/pods/a1",
    ]);
    expect(handle.calls[0]?.body).toMatchObject({
      status: {
        conditions: [
          {
            type: "DisruptionTarget",
            status: "True",
            reason: "PreemptionByScheduler",
            message: "default-scheduler: preempting to accommodate a higher priority pod",
          },
        ],
      },
    });
    const event = handle.recorded[0];
    expect(event?.reason).toBe("Preempted");
    expect(event?.message).toMatch(/^Preempted by pod uid-vip-\d+ on node a$/);
  });

  test("prefers victims whose eviction violates no PodDisruptionBudget", () => {
    const nodes = [node("a"), node("b")];
    const pods = [
      low("a1", "a", "2", { labels: { app: "guarded" } }),
      low("b1", "b", "2", { labels: { app: "free" } }),
    ];
    const pdb = {
      metadata: { name: "guard", namespace: "default" },
      spec: { selector: { matchLabels: { app: "guarded" } } },
      status: { disruptionsAllowed: 0 },
    };
    const { post } = preempt(nodes, pods, pod("vip", { cpu: "1", priority: 100 }), { pdbs: [pdb] });
    expect(post.nominatedNodeName).toBe("b");
  });

  test("upstream's message when evicting cannot help, and preemptionPolicy Never", () => {
    const nodes = [
      node("cp", {
        taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
      }),
      node("w1"),
      node("w2"),
    ];
    const huge = preempt(nodes, [], pod("huge", { cpu: "64", priority: 100 }));
    const diagnosis = huge.result.fitError.diagnosis;
    diagnosis.postFilterMsg = huge.post.status.message();
    expect(fitErrorMessage(3, diagnosis)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    expect(huge.post.nominatedNodeName).toBe("");
    const full = [low("x", "w1", "2"), low("y", "w2", "2")];
    const never = preempt(
      nodes,
      full,
      pod("n", { cpu: "1", priority: 100, spec: { preemptionPolicy: "Never" } }),
    );
    expect(never.post.status.message()).toBe(
      "preemption: not eligible due to preemptionPolicy=Never.",
    );
    const equal = preempt(nodes, full, pod("same", { cpu: "1", priority: 0 }));
    expect(equal.post.status.message()).toBe(
      "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    );
  });

  test("a nominated pod's room is kept from lower-priority pods", () => {
    const cache = cacheWith([node("a")], [low("a1", "a", "1")]);
    const handle = fakeHandle(cache);
    const fw = framework(handle);
    // vip (priority 100, 1 cpu) is nominated to a: only 0 cpu left for others.
    const vip = info(pod("vip", { cpu: "1", priority: 100 }));
    (handle.nominations as unknown as { add(p: PodInfo, n: string): void }).add(vip, "a");
    const other = info(pod("other", { cpu: "500m", priority: 50 }));
    expect("fitError" in new SchedulingAlgorithm(cache).schedulePod(fw, other)).toBe(true);
    const vip2 = info(pod("vip2", { cpu: "500m", priority: 200 }));
    expect(new SchedulingAlgorithm(cache).schedulePod(fw, vip2)).toMatchObject({ node: "a" });
  });
});

describe("preemption helpers", () => {
  const victim = (name: string, priority: number, start: string, labels = {}) =>
    info(pod(name, { priority, labels, nodeName: "a", status: { startTime: start } }));

  test("pickOneNode: fewest PDB violations, lowest top priority, smallest sum, fewest, latest", () => {
    const c = (nodeName: string, victims: PodInfo[], pdbViolations = 0): Candidate => ({
      nodeName,
      victims,
      pdbViolations,
    });
    const old = "2024-01-01T00:00:00Z";
    const recent = "2024-06-01T00:00:00Z";
    expect(
      pickOneNode([c("a", [victim("x", 1, old)], 1), c("b", [victim("y", 9, old)])])?.nodeName,
    ).toBe("b");
    expect(
      pickOneNode([
        c("a", [victim("x", 5, old)]),
        c("b", [victim("y", 1, old), victim("z", 1, old)]),
      ])?.nodeName,
    ).toBe("b");
    expect(
      pickOneNode([
        c("a", [victim("x", 1, old), victim("w", 1, old)]),
        c("b", [victim("y", 1, old)]),
      ])?.nodeName,
    ).toBe("b");
    expect(
      pickOneNode([c("a", [victim("x", 1, old)]), c("b", [victim("y", 1, recent)])])?.nodeName,
    ).toBe("b");
  });

  test("splitByPdbViolation spends each budget in order", () => {
    const pods = [
      victim("p1", 0, "", { app: "x" }),
      victim("p2", 0, "", { app: "x" }),
      victim("p3", 0, ""),
    ];
    const pdb = {
      metadata: { name: "x", namespace: "default" },
      spec: { selector: { matchLabels: { app: "x" } } },
      status: { disruptionsAllowed: 1 },
    };
    const { violating, nonViolating } = splitByPdbViolation(pods, [pdb]);
    expect(violating.map((p) => p.name)).toEqual(["p2"]);
    expect(nonViolating.map((p) => p.name)).toEqual(["p1", "p3"]);
  });

  test("selectVictimsOnNode reprieves the most important pods that still leave room", () => {
    const cache = cacheWith(
      [node("a", { cpu: "3" })],
      [
        low("l1", "a", "1", { priority: 1 }),
        low("l2", "a", "1", { priority: 2 }),
        low("l3", "a", "1", { priority: 3 }),
      ],
    );
    const handle = fakeHandle(cache);
    const fw = framework(handle);
    const plugin = fw.plugins.postFilter[0] as DefaultPreemption;
    const a = cache.getNode("a");
    if (!a) throw new Error("no node");
    const vip = info(pod("vip", { cpu: "2", priority: 10 }));
    const state = new CycleState();
    fw.runPreFilter(state, vip, cache.nodeList());
    const result = plugin.selectVictimsOnNode(state, vip, a.clone(), []);
    if (result instanceof Status) throw new Error(result.message());
    expect(result.victims.map((v) => v.name)).toEqual(["l2", "l1"]);
    // The real node is untouched.
    expect(a.pods.length).toBe(3);
  });
});

import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { CycleState } from "../../../src/scheduler/framework.ts";
import { PodTopologySpread } from "../../../src/scheduler/plugins/pod-topology-spread.ts";
import { Code, Status } from "../../../src/scheduler/status.ts";
import { cacheWith, type FakeWorld, fakeHandle, info, node, pod } from "../fixtures.ts";

const nodes = [
  node("a1", { labels: { zone: "a" } }),
  node("a2", { labels: { zone: "a" } }),
  node("b1", { labels: { zone: "b" } }),
  node("c1", { labels: { zone: "c" }, taints: [{ key: "t", effect: "NoSchedule" }] }),
  node("nolabel"),
];
const web = (name: string, nodeName?: string, spec: Record<string, unknown> = {}) =>
  pod(name, { labels: { app: "web" }, nodeName, spec });
const spread = (extra: Record<string, unknown> = {}) => ({
  topologySpreadConstraints: [
    {
      maxSkew: 1,
      topologyKey: "zone",
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: { matchLabels: { app: "web" } },
      ...extra,
    },
  ],
});

function filter(existing: KubeObject[], incoming: KubeObject) {
  const cache = cacheWith(nodes, existing);
  const plugin = new PodTopologySpread(fakeHandle(cache));
  const state = new CycleState();
  const p = info(incoming);
  const pre = plugin.preFilter(state, p, cache.nodeList());
  if (pre) return { pre, fits: [] as string[], statuses: new Map<string, Status | undefined>() };
  const statuses = new Map(cache.nodeList().map((n) => [n.name, plugin.filter(state, p, n)]));
  const fits = [...statuses].filter(([, s]) => s === undefined).map(([n]) => n);
  return { pre, fits, statuses };
}

describe("PodTopologySpread filter", () => {
  test("maxSkew 1 over zones: the emptier zones only", () => {
    // zone a: 2 pods, zone b: 1, zone c (tainted, taints ignored by default): 1.
    const existing = [web("w1", "a1"), web("w2", "a2"), web("w3", "b1"), web("w4", "c1")];
    const { fits, statuses } = filter(existing, web("new", undefined, spread()));
    expect(fits).toEqual(["b1", "c1"]);
    expect(statuses.get("a1")?.reasons).toEqual([
      "node(s) didn't match pod topology spread constraints",
    ]);
    expect(statuses.get("a1")?.code).toBe(Code.Unschedulable);
    expect(statuses.get("nolabel")?.reasons).toEqual([
      "node(s) didn't match pod topology spread constraints (missing required label)",
    ]);
    expect(statuses.get("nolabel")?.code).toBe(Code.UnschedulableAndUnresolvable);
  });

  test("nodeTaintsPolicy Honor leaves tainted nodes' domains out", () => {
    const existing = [web("w1", "a1"), web("w3", "b1")];
    // With c counted (0 pods), the minimum is 0: a and b are at the skew limit.
    expect(filter(existing, web("new", undefined, spread())).fits).toEqual(["c1"]);
    // Without c, the minimum is 1 and every domain may take one more.
    expect(
      filter(existing, web("new", undefined, spread({ nodeTaintsPolicy: "Honor" }))).fits,
    ).toEqual(["a1", "a2", "b1", "c1"]);
  });

  test("minDomains: fewer domains than wanted means a global minimum of 0", () => {
    const onlyAB = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] },
            ],
          },
        },
      },
    };
    const existing = [web("w1", "a1"), web("w3", "b1")];
    expect(filter(existing, web("new", undefined, { ...spread(), ...onlyAB })).fits).toContain(
      "a1",
    );
    const strict = web("new", undefined, { ...spread({ minDomains: 3 }), ...onlyAB });
    expect(filter(existing, strict).fits).not.toContain("a1");
  });

  test("pods without constraints, and not selected by anything, skip the plugin", () => {
    expect(filter([], pod("plain")).pre).toBe(Status.skip);
  });
});

describe("PodTopologySpread scoring", () => {
  function scores(existing: KubeObject[], incoming: KubeObject, world: FakeWorld = {}) {
    const cache = cacheWith(nodes.slice(0, 3), existing);
    const plugin = new PodTopologySpread(fakeHandle(cache, world));
    const state = new CycleState();
    const p = info(incoming);
    const all = cache.nodeList();
    const pre = plugin.preScore(state, p, all, all);
    if (pre) return pre;
    const values = new Float64Array(all.map((n) => plugin.score(state, p, n)));
    plugin.normalizeScore(state, p, all, values);
    return [...values];
  }

  test("ScheduleAnyway prefers the zone with fewer matching pods", () => {
    const soft = {
      topologySpreadConstraints: [
        { ...spread().topologySpreadConstraints[0], whenUnsatisfiable: "ScheduleAnyway" },
      ],
    };
    const result = scores([web("w1", "a1"), web("w2", "a2")], web("new", undefined, soft));
    expect(result).toEqual([0, 0, 100]);
  });

  test("default constraints apply to pods a Service selects", () => {
    const existing = [web("w1", "a1"), web("w2", "a1")];
    expect(scores(existing, web("new"))).toBe(Status.skip);
    const service = {
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { app: "web" } },
    };
    const result = scores(existing, web("new"), { services: [service] }) as number[];
    // Hostname spreading: a1 holds both pods.
    expect(result[0]).toBeLessThan(result[1] as number);
    expect(result[1]).toBe(result[2]);
  });
});

import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { CycleState } from "../../../src/scheduler/framework.ts";
import { InterPodAffinity } from "../../../src/scheduler/plugins/inter-pod-affinity.ts";
import { Code, Status } from "../../../src/scheduler/status.ts";
import { cacheWith, fakeHandle, info, node, pod } from "../fixtures.ts";

const zones = [
  node("a1", { labels: { zone: "a" } }),
  node("a2", { labels: { zone: "a" } }),
  node("b1", { labels: { zone: "b" } }),
];
const term = (labels: Record<string, string>, topologyKey = "zone", extra = {}) => ({
  labelSelector: { matchLabels: labels },
  topologyKey,
  ...extra,
});

function feasible(pods: KubeObject[], incoming: KubeObject, world = {}) {
  const cache = cacheWith(zones, pods);
  const plugin = new InterPodAffinity(fakeHandle(cache, world));
  const state = new CycleState();
  const p = info(incoming);
  const pre = plugin.preFilter(state, p, cache.nodeList());
  if (pre instanceof Status && pre.isSkip) return { fits: ["a1", "a2", "b1"], statuses: [] };
  const statuses = cache.nodeList().map((n) => plugin.filter(state, p, n));
  return {
    fits: cache
      .nodeList()
      .filter((_, i) => statuses[i] === undefined)
      .map((n) => n.name),
    statuses,
  };
}

describe("InterPodAffinity filter", () => {
  const db = pod("db", { labels: { app: "db" }, nodeName: "b1" });

  test("required affinity: only the zone where a matching pod runs", () => {
    const web = pod("web", {
      spec: {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" })] },
        },
      },
    });
    const result = feasible([db], web);
    expect(result.fits).toEqual(["b1"]);
    expect(result.statuses[0]?.reasons).toEqual(["node(s) didn't match pod affinity rules"]);
    expect(result.statuses[0]?.code).toBe(Code.UnschedulableAndUnresolvable);
  });

  test("the first pod of a group that wants itself goes anywhere", () => {
    const first = pod("first", {
      labels: { app: "cache" },
      spec: {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "cache" })] },
        },
      },
    });
    expect(feasible([db], first).fits).toEqual(["a1", "a2", "b1"]);
  });

  test("required anti-affinity by hostname spreads replicas", () => {
    const replica = (name: string, nodeName?: string) =>
      pod(name, {
        labels: { app: "web" },
        nodeName,
        spec: {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                term({ app: "web" }, "kubernetes.io/hostname"),
              ],
            },
          },
        },
      });
    const result = feasible([replica("w1", "a1"), replica("w2", "b1")], replica("w3"));
    expect(result.fits).toEqual(["a2"]);
    expect(result.statuses[0]?.reasons).toEqual(["node(s) didn't match pod anti-affinity rules"]);
    expect(result.statuses[0]?.code).toBe(Code.Unschedulable);
  });

  test("existing pods' anti-affinity keeps the incoming pod out of their zone", () => {
    const loner = pod("loner", {
      nodeName: "a1",
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "noisy" })],
          },
        },
      },
    });
    const result = feasible([loner], pod("noisy", { labels: { app: "noisy" } }));
    expect(result.fits).toEqual(["b1"]);
    expect(result.statuses[0]?.reasons).toEqual([
      "node(s) didn't satisfy existing pods anti-affinity rules",
    ]);
  });

  test("namespaces and namespaceSelector decide which pods a term sees", () => {
    const other = pod("db", { namespace: "prod", labels: { app: "db" }, nodeName: "b1" });
    const sameNamespaceOnly = pod("web", {
      spec: {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" })] },
        },
      },
    });
    // No matching pod in "default": the pod's own labels do not match, so nowhere.
    expect(feasible([other], sameNamespaceOnly).fits).toEqual([]);
    const bySelector = pod("web", {
      spec: {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              term({ app: "db" }, "zone", { namespaceSelector: { matchLabels: { env: "prod" } } }),
            ],
          },
        },
      },
    });
    const namespaces = [{ metadata: { name: "prod", labels: { env: "prod" } } }];
    expect(feasible([other], bySelector, { namespaces }).fits).toEqual(["b1"]);
    const listed = pod("web", {
      spec: {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              term({ app: "db" }, "zone", { namespaces: ["prod"] }),
            ],
          },
        },
      },
    });
    expect(feasible([other], listed).fits).toEqual(["b1"]);
  });
});

describe("InterPodAffinity scoring", () => {
  test("preferred affinity raises the zone of matching pods; anti-affinity lowers it", () => {
    const cache = cacheWith(zones, [pod("db", { labels: { app: "db" }, nodeName: "b1" })]);
    const plugin = new InterPodAffinity(fakeHandle(cache));
    const score = (affinity: Record<string, unknown>) => {
      const state = new CycleState();
      const p = info(pod("web", { spec: { affinity } }));
      const nodes = cache.nodeList();
      expect(plugin.preScore(state, p, nodes, nodes)).toBeUndefined();
      const scores = new Float64Array(nodes.map((n) => plugin.score(state, p, n)));
      plugin.normalizeScore(state, p, nodes, scores);
      return [...scores];
    };
    const weighted = { weight: 50, podAffinityTerm: term({ app: "db" }) };
    expect(
      score({ podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [weighted] } }),
    ).toEqual([0, 0, 100]);
    expect(
      score({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [weighted] } }),
    ).toEqual([100, 100, 0]);
  });

  test("nothing to score without affinity anywhere", () => {
    const cache = cacheWith(zones, [pod("db", { nodeName: "b1" })]);
    const plugin = new InterPodAffinity(fakeHandle(cache));
    const nodes = cache.nodeList();
    expect(plugin.preScore(new CycleState(), info(pod("web")), nodes, nodes)?.isSkip).toBe(true);
    expect(plugin.preFilter(new CycleState(), info(pod("web")), nodes)).toBe(Status.skip);
  });
});

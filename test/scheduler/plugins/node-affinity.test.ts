import { describe, expect, test } from "bun:test";
import { matchesRequirement } from "../../../src/controllers/node-selectors.ts";
import { CycleState } from "../../../src/scheduler/framework.ts";
import { NodeAffinity } from "../../../src/scheduler/plugins/node-affinity.ts";
import { NodeName } from "../../../src/scheduler/plugins/node-name.ts";
import { Status } from "../../../src/scheduler/status.ts";
import { cacheWith, info, node, pod } from "../fixtures.ts";

const cache = cacheWith([
  node("a", { labels: { zone: "a", gen: "5", disk: "ssd" } }),
  node("b", { labels: { zone: "b", gen: "3" } }),
]);
const get = (name: string) => {
  const found = cache.getNode(name);
  if (!found) throw new Error(`no node ${name}`);
  return found;
};
const required = (terms: unknown[]) => ({
  affinity: {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
  },
});

function filterAll(plugin: NodeAffinity, spec: Record<string, unknown>) {
  const state = new CycleState();
  const p = info(pod("p", { spec }));
  const pre = plugin.preFilter(state, p);
  if (pre instanceof Status) return { pre, fits: [] as string[] };
  const fits = ["a", "b"].filter((n) => plugin.filter(state, p, get(n)) === undefined);
  return { pre, fits };
}

describe("NodeAffinity", () => {
  const plugin = new NodeAffinity();

  test("operators as upstream's node selector requirements", () => {
    const labels = { zone: "a", gen: "5" };
    expect(matchesRequirement({ key: "zone", operator: "In", values: ["a", "b"] }, labels)).toBe(
      true,
    );
    expect(matchesRequirement({ key: "zone", operator: "NotIn", values: ["a"] }, labels)).toBe(
      false,
    );
    expect(matchesRequirement({ key: "x", operator: "NotIn", values: ["a"] }, labels)).toBe(true);
    expect(matchesRequirement({ key: "x", operator: "DoesNotExist" }, labels)).toBe(true);
    expect(matchesRequirement({ key: "gen", operator: "Gt", values: ["4"] }, labels)).toBe(true);
    expect(matchesRequirement({ key: "gen", operator: "Lt", values: ["4"] }, labels)).toBe(false);
  });

  test("nodeSelector and required terms (ORed terms, ANDed requirements)", () => {
    expect(filterAll(plugin, { nodeSelector: { disk: "ssd" } }).fits).toEqual(["a"]);
    const either = required([
      { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] },
      {
        matchExpressions: [
          { key: "disk", operator: "Exists" },
          { key: "gen", operator: "Gt", values: ["4"] },
        ],
      },
    ]);
    expect(filterAll(plugin, either).fits).toEqual(["a", "b"]);
    const none = required([{ matchExpressions: [{ key: "zone", operator: "In", values: ["c"] }] }]);
    expect(filterAll(plugin, none).fits).toEqual([]);
    expect(plugin.filter(new CycleState(), info(pod("p")), get("a"))).toBeUndefined();
    expect(plugin.preFilter(new CycleState(), info(pod("p")))).toBe(Status.skip);
  });

  test("matchFields metadata.name narrows the search to the named node (DaemonSet pods)", () => {
    const daemon = required([
      { matchFields: [{ key: "metadata.name", operator: "In", values: ["b"] }] },
    ]);
    const { pre, fits } = filterAll(plugin, daemon);
    expect(pre).toEqual({ nodeNames: new Set(["b"]) });
    expect(fits).toEqual(["b"]);
  });

  test("preferred terms add their weights", () => {
    const state = new CycleState();
    const p = info(
      pod("p", {
        spec: {
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 10,
                  preference: {
                    matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }],
                  },
                },
                {
                  weight: 5,
                  preference: { matchExpressions: [{ key: "gen", operator: "Exists" }] },
                },
              ],
            },
          },
        },
      }),
    );
    expect(plugin.preScore(state, p)).toBeUndefined();
    const nodes = [get("a"), get("b")];
    const scores = new Float64Array(nodes.map((n) => plugin.score(state, p, n)));
    expect([...scores]).toEqual([5, 15]);
    plugin.normalizeScore(state, p, nodes, scores);
    expect([...scores]).toEqual([33, 100]);
  });

  test("NodeName accepts only the named node", () => {
    const named = info(pod("p", { spec: { nodeName: "b" } }));
    expect(new NodeName().filter(new CycleState(), named, get("a"))?.reasons).toEqual([
      "node(s) didn't match the requested node name",
    ]);
    expect(new NodeName().filter(new CycleState(), named, get("b"))).toBeUndefined();
  });
});

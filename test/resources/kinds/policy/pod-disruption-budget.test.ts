import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { podDisruptionBudgetKind } from "../../../../src/resources/kinds/policy/pod-disruption-budget.ts";
import { created, createErrors, statusUpdateErrors, updated } from "../apps/kind-harness.ts";

function budget(spec: Record<string, unknown>): KubeObject {
  return {
    metadata: { name: "web" },
    spec: { selector: { matchLabels: { app: "web" } }, ...spec },
  };
}

describe("podDisruptionBudgetKind", () => {
  test("accepts a count or a percentage", () => {
    expect(createErrors(podDisruptionBudgetKind, budget({ minAvailable: 2 }))).toEqual([]);
    expect(createErrors(podDisruptionBudgetKind, budget({ maxUnavailable: "25%" }))).toEqual([]);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "both minAvailable and maxUnavailable",
      { minAvailable: 1, maxUnavailable: 1 },
      [
        'spec: Invalid value: {"selector":{"matchLabels":{"app":"web"}},"minAvailable":1,"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set',
      ],
    ],
    [
      "more than 100%",
      { minAvailable: "150%" },
      ['spec.minAvailable: Invalid value: "150%": must not be greater than 100%'],
    ],
    [
      "a negative count",
      { maxUnavailable: -1 },
      ["spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "an unknown eviction policy",
      { minAvailable: 1, unhealthyPodEvictionPolicy: "Never" },
      [
        'spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget"',
      ],
    ],
  ];
  for (const [name, spec, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(podDisruptionBudgetKind, budget(spec))).toEqual(expected);
    });
  }

  test("keeps the disruption controller's status on the main endpoint", () => {
    const stored = created(podDisruptionBudgetKind, budget({ minAvailable: 1 }));
    expect(stored.status).toEqual({});
    stored.status = {
      disruptionsAllowed: 1,
      currentHealthy: 2,
      desiredHealthy: 1,
      expectedPods: 2,
    };
    expect(
      updated(podDisruptionBudgetKind, stored, { ...budget({ minAvailable: 2 }), status: {} })
        .status,
    ).toEqual(stored.status);
    expect(statusUpdateErrors(podDisruptionBudgetKind, stored, { disruptionsAllowed: -1 })).toEqual(
      ["status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0"],
    );
  });
});

import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { horizontalPodAutoscalerKind } from "../../../../src/resources/kinds/autoscaling/horizontal-pod-autoscaler.ts";
import { created, createErrors } from "../apps/kind-harness.ts";

function hpa(spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "web" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      maxReplicas: 5,
      ...spec,
    },
  };
}

describe("horizontalPodAutoscalerKind defaults", () => {
  test("scales on 80% CPU from one replica", () => {
    const spec = created(horizontalPodAutoscalerKind, hpa()).spec as Record<string, unknown>;
    expect(spec.minReplicas).toBe(1);
    expect(spec.metrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
      },
    ]);
    expect(spec.behavior).toBeUndefined();
  });

  test("completes scaling rules once any behavior is set", () => {
    const spec = created(
      horizontalPodAutoscalerKind,
      hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }),
    ).spec as { behavior: Record<string, unknown> };
    expect(spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [
          { type: "Pods", value: 4, periodSeconds: 15 },
          { type: "Percent", value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 60,
        selectPolicy: "Max",
        policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
      },
    });
  });
});

describe("horizontalPodAutoscalerKind validation", () => {
  test("accepts a minimal autoscaler", () => {
    expect(createErrors(horizontalPodAutoscalerKind, hpa())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "fewer maximum than minimum replicas",
      hpa({ minReplicas: 3, maxReplicas: 2 }),
      ["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"],
    ],
    [
      "zero minimum replicas",
      hpa({ minReplicas: 0 }),
      ["spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"],
    ],
    [
      "a missing maximum",
      hpa({ maxReplicas: undefined }),
      [
        "spec.maxReplicas: Invalid value: 0: must be greater than 0",
        "spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`",
      ],
    ],
    [
      "a target without a name",
      hpa({ scaleTargetRef: { kind: "Deployment" } }),
      ["spec.scaleTargetRef.name: Required value"],
    ],
    [
      "a metric type without its source",
      hpa({ metrics: [{ type: "Pods" }] }),
      [
        "spec.metrics[0].pods: Required value: must populate information for the given metric source",
      ],
    ],
    [
      "a policy with a zero period",
      hpa({ behavior: { scaleUp: { policies: [{ type: "Pods", value: 1, periodSeconds: 0 }] } } }),
      [
        "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 0: must be greater than zero",
      ],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(horizontalPodAutoscalerKind, input)).toEqual(expected);
    });
  }
});

import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { replicaSetKind } from "../../../../src/resources/kinds/apps/replica-set.ts";
import { created, createErrors, updateErrors } from "./kind-harness.ts";

function replicaSet(spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "web-6d4cf56db6" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "nginx" }] },
      },
      ...spec,
    },
  };
}

describe("replicaSetKind", () => {
  test("defaults replicas to 1 and clears status on create", () => {
    const object = created(replicaSetKind, { ...replicaSet(), status: { replicas: 3 } });
    expect((object.spec as Record<string, unknown>).replicas).toBe(1);
    expect(object.status).toEqual({});
  });

  test("accepts a minimal replica set", () => {
    expect(createErrors(replicaSetKind, replicaSet())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "an empty selector, with upstream's wording",
      replicaSet({ selector: { matchLabels: {} } }),
      [
        'spec.selector: Invalid value: {"matchLabels":{}}: empty selector is invalid for deployment',
      ],
    ],
    [
      "a pod deadline",
      replicaSet({
        template: {
          metadata: { labels: { app: "web" } },
          spec: { activeDeadlineSeconds: 10, containers: [{ name: "web", image: "nginx" }] },
        },
      }),
      [
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
      ],
    ],
    [
      "an unconvertible selector",
      replicaSet({ selector: { matchExpressions: [{ key: "app", operator: "Near" }] } }),
      [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
        'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"Near"}]}: invalid label selector',
      ],
    ],
    [
      "negative minReadySeconds",
      replicaSet({ minReadySeconds: -5 }),
      ["spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0"],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(replicaSetKind, input)).toEqual(expected);
    });
  }

  test("rejects an update that changes spec.selector", () => {
    const stored = created(replicaSetKind, replicaSet());
    const errors = updateErrors(
      replicaSetKind,
      stored,
      replicaSet({ selector: { matchExpressions: [{ key: "app", operator: "Exists" }] } }),
    );
    expect(errors).toEqual([
      'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"Exists"}]}: field is immutable',
    ]);
  });

  test("offers status.replicas as a field selector", () => {
    expect(replicaSetKind.selectableFields?.({ status: { replicas: 3 } })).toEqual({
      "status.replicas": "3",
    });
    expect(replicaSetKind.selectableFields?.({})).toEqual({ "status.replicas": "0" });
  });
});

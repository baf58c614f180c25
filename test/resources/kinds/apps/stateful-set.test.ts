import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { statefulSetKind } from "../../../../src/resources/kinds/apps/stateful-set.ts";
import { created, createErrors, updateErrors } from "./kind-harness.ts";

function statefulSet(spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "db" },
    spec: {
      serviceName: "db",
      selector: { matchLabels: { app: "db" } },
      template: {
        metadata: { labels: { app: "db" } },
        spec: { containers: [{ name: "db", image: "postgres" }] },
      },
      ...spec,
    },
  };
}

describe("statefulSetKind defaults", () => {
  test("fills upstream's defaults into a minimal stateful set", () => {
    const spec = created(statefulSetKind, statefulSet()).spec as Record<string, unknown>;
    expect(spec.podManagementPolicy).toBe("OrderedReady");
    expect(spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { partition: 0 } });
    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
    expect(spec.replicas).toBe(1);
    expect(spec.revisionHistoryLimit).toBe(10);
  });

  test("does not add rolling update parameters to a RollingUpdate strategy without them", () => {
    const spec = created(
      statefulSetKind,
      statefulSet({ updateStrategy: { type: "RollingUpdate" } }),
    ).spec as Record<string, unknown>;
    expect(spec.updateStrategy).toEqual({ type: "RollingUpdate" });
  });
});

describe("statefulSetKind validation", () => {
  test("accepts a minimal stateful set", () => {
    expect(createErrors(statefulSetKind, statefulSet())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "a name that cannot be a hostname",
      { ...statefulSet(), metadata: { name: "db.main" } },
      ['metadata.name: Invalid value: "db.main": must not contain dots'],
    ],
    [
      "an unknown pod management policy",
      statefulSet({ podManagementPolicy: "AllAtOnce" }),
      [
        `spec.podManagementPolicy: Invalid value: "AllAtOnce": must be 'OrderedReady' or 'Parallel'`,
      ],
    ],
    [
      "rolling update parameters with OnDelete",
      statefulSet({ updateStrategy: { type: "OnDelete", rollingUpdate: { partition: 1 } } }),
      [
        `spec.updateStrategy.rollingUpdate: Invalid value: {"partition":1}: only allowed for updateStrategy 'RollingUpdate'`,
      ],
    ],
    [
      "zero maxUnavailable",
      statefulSet({
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0 } },
      }),
      ["spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0"],
    ],
    [
      "an unknown PVC retention policy",
      statefulSet({ persistentVolumeClaimRetentionPolicy: { whenDeleted: "Archive" } }),
      [
        'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Archive": supported values: "Retain", "Delete"',
      ],
    ],
    [
      "a negative ordinal start",
      statefulSet({ ordinals: { start: -1 } }),
      ["spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "an empty selector",
      statefulSet({ selector: {} }),
      ["spec.selector: Invalid value: {}: empty selector is invalid for statefulset"],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(statefulSetKind, input)).toEqual(expected);
    });
  }
});

describe("statefulSetKind updates", () => {
  const stored = created(statefulSetKind, statefulSet());
  const forbidden =
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

  test("accepts changes to replicas, template and update strategy", () => {
    const input = statefulSet({
      replicas: 3,
      updateStrategy: { type: "OnDelete" },
      minReadySeconds: 5,
    });
    expect(updateErrors(statefulSetKind, stored, input)).toEqual([]);
  });

  test("rejects an update that changes serviceName", () => {
    expect(updateErrors(statefulSetKind, stored, statefulSet({ serviceName: "other" }))).toEqual([
      forbidden,
    ]);
  });

  test("rejects an update that changes spec.selector", () => {
    const input = statefulSet({ selector: { matchLabels: { app: "db", role: "primary" } } });
    (
      input.spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels.role = "primary";
    expect(updateErrors(statefulSetKind, stored, input)).toEqual([forbidden]);
  });
});

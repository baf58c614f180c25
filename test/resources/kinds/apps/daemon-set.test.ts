import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import {
  daemonSetKind,
  TEMPLATE_GENERATION_ANNOTATION,
} from "../../../../src/resources/kinds/apps/daemon-set.ts";
import { created, createErrors, updated, updateErrors } from "./kind-harness.ts";

function daemonSet(spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "agent" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: {
        metadata: { labels: { app: "agent" } },
        spec: { containers: [{ name: "agent", image: "agent:1" }] },
      },
      ...spec,
    },
  };
}

function generation(object: KubeObject): string | undefined {
  return object.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
}

describe("daemonSetKind defaults", () => {
  test("rolls one node at a time without surge", () => {
    const spec = created(daemonSetKind, daemonSet()).spec as Record<string, unknown>;
    expect(spec.updateStrategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(spec.revisionHistoryLimit).toBe(10);
  });

  test("leaves OnDelete without rolling update parameters", () => {
    const spec = created(daemonSetKind, daemonSet({ updateStrategy: { type: "OnDelete" } }))
      .spec as Record<string, unknown>;
    expect(spec.updateStrategy).toEqual({ type: "OnDelete" });
  });
});

describe("daemonSetKind template generation", () => {
  const stored = created(daemonSetKind, daemonSet());

  test("starts at 1", () => {
    expect(generation(stored)).toBe("1");
  });

  test("counts template changes only", () => {
    const changed = daemonSet();
    (changed.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
      .containers[0]!.image = "agent:2";
    expect(generation(updated(daemonSetKind, stored, changed))).toBe("2");
    expect(generation(updated(daemonSetKind, stored, daemonSet({ minReadySeconds: 5 })))).toBe("1");
  });

  test("ignores a client's attempt to set it", () => {
    const input = daemonSet();
    input.metadata = { name: "agent", annotations: { [TEMPLATE_GENERATION_ANNOTATION]: "7" } };
    expect(generation(updated(daemonSetKind, stored, input))).toBe("1");
  });
});

describe("daemonSetKind validation", () => {
  test("accepts a minimal daemon set", () => {
    expect(createErrors(daemonSetKind, daemonSet())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "a missing selector, as a template mismatch",
      daemonSet({ selector: undefined }),
      [
        'spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match template `labels`',
      ],
    ],
    [
      "both surge and unavailability",
      daemonSet({
        updateStrategy: {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: 1, maxSurge: "10%" },
        },
      }),
      [
        'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "10%": may not be set when maxUnavailable is non-zero',
      ],
    ],
    [
      "neither surge nor unavailability",
      daemonSet({
        updateStrategy: {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: 0, maxSurge: 0 },
        },
      }),
      [
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
      ],
    ],
    [
      "an unknown update strategy",
      daemonSet({ updateStrategy: { type: "Canary" } }),
      [
        'spec.updateStrategy: Unsupported value: {"type":"Canary"}: supported values: "RollingUpdate", "OnDelete"',
      ],
    ],
    [
      "an empty selector",
      daemonSet({ selector: { matchLabels: {} } }),
      ['spec.selector: Invalid value: {"matchLabels":{}}: empty selector is invalid for daemonset'],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(daemonSetKind, input)).toEqual(expected);
    });
  }

  test("rejects an update that changes spec.selector", () => {
    const stored = created(daemonSetKind, daemonSet());
    const input = daemonSet({ selector: { matchLabels: { app: "agent", v: "2" } } });
    (
      input.spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels.v = "2";
    expect(updateErrors(daemonSetKind, stored, input)).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"agent","v":"2"}}: field is immutable',
    ]);
  });
});

import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { deploymentKind } from "../../../../src/resources/kinds/apps/deployment.ts";
import { created, createErrors, updated, updateErrors } from "./kind-harness.ts";

function deployment(spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "web" },
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

describe("deploymentKind defaults", () => {
  test("fills upstream's defaults into a minimal deployment", () => {
    const spec = created(deploymentKind, deployment()).spec as Record<string, unknown>;
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" },
    });
    expect(spec.revisionHistoryLimit).toBe(10);
    expect(spec.progressDeadlineSeconds).toBe(600);
  });

  test("applies pod defaults to the template", () => {
    const spec = created(deploymentKind, deployment()).spec as {
      template: { spec: Record<string, unknown> };
    };
    expect(spec.template.spec.restartPolicy).toBe("Always");
    expect(spec.template.spec.terminationGracePeriodSeconds).toBe(30);
  });

  test("keeps values the client set, including zero replicas", () => {
    const spec = created(
      deploymentKind,
      deployment({ replicas: 0, revisionHistoryLimit: 0, strategy: { type: "Recreate" } }),
    ).spec as Record<string, unknown>;
    expect(spec.replicas).toBe(0);
    expect(spec.revisionHistoryLimit).toBe(0);
    expect(spec.strategy).toEqual({ type: "Recreate" });
  });

  test("clears a status sent on create", () => {
    const input = { ...deployment(), status: { replicas: 5, readyReplicas: 5 } };
    expect(created(deploymentKind, input).status).toEqual({});
  });
});

describe("deploymentKind validation", () => {
  test("accepts a minimal deployment", () => {
    expect(createErrors(deploymentKind, deployment())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "a missing selector",
      deployment({ selector: undefined }),
      [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
      ],
    ],
    [
      "a selector that does not select the template",
      deployment({ selector: { matchLabels: { app: "api" } } }),
      [
        'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
      ],
    ],
    [
      "an empty selector",
      deployment({ selector: {} }),
      ["spec.selector: Invalid value: {}: empty selector is invalid for deployment"],
    ],
    [
      "negative replicas",
      deployment({ replicas: -1 }),
      ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "a template that does not restart its pods",
      deployment({
        template: {
          metadata: { labels: { app: "web" } },
          spec: { restartPolicy: "Never", containers: [{ name: "web", image: "nginx" }] },
        },
      }),
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      "a rolling update that can never progress",
      deployment({
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } },
      }),
      [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
      ],
    ],
    [
      "more than 100% unavailable",
      deployment({
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "120%" } },
      }),
      [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%',
      ],
    ],
    [
      "a percentage that is not one",
      deployment({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "lots" } } }),
      [
        `spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      ],
    ],
    [
      "rollingUpdate parameters with the Recreate strategy",
      deployment({ strategy: { type: "Recreate", rollingUpdate: { maxSurge: 1 } } }),
      [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
      ],
    ],
    [
      "an unknown strategy",
      deployment({ strategy: { type: "BlueGreen" } }),
      [
        'spec.strategy: Unsupported value: {"type":"BlueGreen"}: supported values: "Recreate", "RollingUpdate"',
      ],
    ],
    [
      "a progress deadline within minReadySeconds",
      deployment({ minReadySeconds: 30, progressDeadlineSeconds: 30 }),
      ["spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"],
    ],
    [
      "an invalid name",
      { ...deployment(), metadata: { name: "Web_1" } },
      [
        `metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(deploymentKind, input)).toEqual(expected);
    });
  }

  test("validates the pod spec of the template", () => {
    const errors = createErrors(
      deploymentKind,
      deployment({ template: { metadata: { labels: { app: "web" } }, spec: {} } }),
    );
    expect(errors).toContain("spec.template.spec.containers: Required value");
  });
});

describe("deploymentKind updates", () => {
  const stored = created(deploymentKind, deployment());
  stored.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 };

  test("accepts scaling", () => {
    expect(updateErrors(deploymentKind, stored, deployment({ replicas: 5 }))).toEqual([]);
  });

  test("rejects an update that changes spec.selector", () => {
    const input = deployment({ selector: { matchLabels: { app: "web", tier: "front" } } });
    (
      input.spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels.tier = "front";
    expect(updateErrors(deploymentKind, stored, input)).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"front"}}: field is immutable',
    ]);
  });

  test("keeps the stored status on the main endpoint", () => {
    const input = { ...deployment(), status: { replicas: 9 } };
    expect(updated(deploymentKind, stored, input).status).toEqual(stored.status);
  });

  test("rejects a status that decrements collisionCount", () => {
    const old = { ...stored, status: { replicas: 1, collisionCount: 2 } };
    const next = { ...stored, status: { replicas: 1, collisionCount: 1 } };
    expect(deploymentKind.validateUpdate?.(next, old, {} as never)?.map((e) => e.field)).toEqual([
      "status.collisionCount",
    ]);
  });

  test("rejects more ready than existing replicas in a status", () => {
    const next = { ...stored, status: { replicas: 1, readyReplicas: 2, availableReplicas: 2 } };
    expect(
      deploymentKind
        .validateUpdate?.(next, stored, {} as never)
        ?.map((e) => `${e.field}: ${e.detail}`),
    ).toEqual([
      "status.readyReplicas: cannot be greater than status.replicas",
      "status.availableReplicas: cannot be greater than status.replicas",
    ]);
  });
});

import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { leaseKind } from "../../../../src/resources/kinds/coordination/lease.ts";
import { createErrors } from "../apps/kind-harness.ts";

function lease(spec: Record<string, unknown>): KubeObject {
  return { metadata: { name: "kubun-leader", namespace: "kube-system" }, spec };
}

describe("leaseKind", () => {
  test("accepts a held lease", () => {
    const spec = {
      holderIdentity: "server-1",
      leaseDurationSeconds: 15,
      acquireTime: "2024-01-01T00:00:00.000000Z",
      renewTime: "2024-01-01T00:00:10.000000Z",
      leaseTransitions: 0,
    };
    expect(createErrors(leaseKind, lease(spec))).toEqual([]);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "a zero duration",
      { leaseDurationSeconds: 0 },
      ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"],
    ],
    [
      "negative transitions",
      { leaseTransitions: -1 },
      ["spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "an unknown built-in strategy, at upstream's doubled path",
      { strategy: "Youngest" },
      [
        'spec.strategy.strategy: Unsupported value: "Youngest": supported values: "OldestEmulationVersion"',
      ],
    ],
    [
      "a preferred holder without a strategy",
      { preferredHolder: "server-2" },
      ["spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined"],
    ],
  ];
  for (const [name, spec, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(leaseKind, lease(spec))).toEqual(expected);
    });
  }

  test("accepts a custom strategy with a domain", () => {
    expect(
      createErrors(leaseKind, lease({ strategy: "example.com/newest", preferredHolder: "a" })),
    ).toEqual([]);
  });
});

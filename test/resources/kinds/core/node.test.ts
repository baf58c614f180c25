import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { nodeKind } from "../../../../src/resources/kinds/core/node.ts";
import { create, type LooseObject, update } from "./kind-harness.ts";

function node(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): LooseObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "worker-1", uid: "u" },
    spec,
    ...(status ? { status } : {}),
  };
}

describe("nodeKind", () => {
  test("keeps the status a node registers with and defaults allocatable to capacity", () => {
    const { object, errors } = create(
      nodeKind,
      node({}, { capacity: { cpu: 4, memory: "8192Mi", pods: "110" } }),
    );
    expect(errors).toEqual([]);
    expect(object.status).toEqual({
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
    });
  });

  test.each<[string, KubeObject, string[]]>([
    [
      "a taint with an unknown effect",
      node({ taints: [{ key: "dedicated", value: "gpu", effect: "NoRun" }] }),
      [
        'metadata.taints[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    ],
    [
      "a taint without an effect",
      node({ taints: [{ key: "dedicated" }] }),
      ["metadata.taints[0].effect: Required value"],
    ],
    [
      "two taints with one key and effect",
      node({
        taints: [
          { key: "a", effect: "NoSchedule" },
          { key: "a", value: "x", effect: "NoSchedule" },
        ],
      }),
      [
        'metadata.taints[1]: Duplicate value: {"key":"a","value":"x","effect":"NoSchedule"}: taints must be unique by key and effect pair',
      ],
    ],
    [
      "a fractional pod capacity",
      node({}, { capacity: { pods: "1.5" }, allocatable: { pods: "1" } }),
      ['status.capacity.pods: Invalid value: "1500m": must be an integer'],
    ],
    [
      "a pod CIDR with host bits",
      node({ podCIDRs: ["10.244.1.1/24"] }),
      [
        'spec.podCIDRs[0]: Invalid value: "10.244.1.1/24": must not have bits set beyond the prefix length',
      ],
    ],
  ])("rejects %s", (_, input, messages) => {
    expect(create(nodeKind, input).messages).toEqual(messages);
  });

  test("allows a pod CIDR to be set once and not changed", () => {
    expect(update(nodeKind, node({ podCIDRs: ["10.244.1.0/24"] }), node()).messages).toEqual([]);
    expect(
      update(nodeKind, node({ podCIDRs: ["10.244.2.0/24"] }), node({ podCIDRs: ["10.244.1.0/24"] }))
        .messages,
    ).toEqual([
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
  });

  test("keeps the stored status on a spec update", () => {
    const { object } = update(
      nodeKind,
      node({ unschedulable: true }, { phase: "Gone" }),
      node({}, { phase: "Running" }),
    );
    expect(object.status).toEqual({ phase: "Running" });
  });

  test("exposes spec.unschedulable", () => {
    expect(nodeKind.selectableFields?.(node({ unschedulable: true }))).toEqual({
      "spec.unschedulable": "true",
    });
    expect(nodeKind.selectableFields?.(node())).toEqual({ "spec.unschedulable": "false" });
  });
});

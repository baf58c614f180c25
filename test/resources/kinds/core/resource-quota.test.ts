import { describe, expect, test } from "bun:test";
import { resourceQuotaKind } from "../../../../src/resources/kinds/core/resource-quota.ts";
import { create, type LooseObject, meta, update } from "./kind-harness.ts";

function quota(spec: Record<string, unknown>): LooseObject {
  return { apiVersion: "v1", kind: "ResourceQuota", metadata: meta("compute"), spec };
}

describe("resourceQuotaKind", () => {
  test("accepts standard and extended resources, canonically written", () => {
    const { object, errors } = create(
      resourceQuotaKind,
      quota({
        hard: {
          "requests.cpu": 4,
          "limits.memory": "8192Mi",
          pods: "10",
          "count/deployments.apps": "5",
        },
      }),
    );
    expect(errors).toEqual([]);
    expect(object.spec.hard).toEqual({
      "requests.cpu": "4",
      "limits.memory": "8Gi",
      pods: "10",
      "count/deployments.apps": "5",
    });
  });

  test.each<[string, Record<string, unknown>, string[]]>([
    [
      "a non-standard resource",
      { hard: { gpus: "1" } },
      [
        'spec.hard[gpus]: Invalid value: "gpus": must be a standard resource type or fully qualified',
        'spec.hard[gpus]: Invalid value: "gpus": must be a standard resource for quota',
      ],
    ],
    [
      "a fractional pod count",
      { hard: { pods: "2.5" } },
      ['spec.hard[pods]: Invalid value: "2500m": must be an integer'],
    ],
    [
      "a malformed quantity",
      { hard: { cpu: "4 cores" } },
      [
        "spec.hard[cpu]: Invalid value: \"4 cores\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ],
    ],
    [
      "conflicting scopes",
      { hard: { pods: "1" }, scopes: ["BestEffort", "NotBestEffort"] },
      ['spec.scopes: Invalid value: ["BestEffort","NotBestEffort"]: conflicting scopes'],
    ],
    [
      "a scope that does not apply to a resource",
      { hard: { cpu: "1" }, scopes: ["BestEffort"] },
      ['spec.scopes: Invalid value: ["BestEffort"]: unsupported scope applied to resource'],
    ],
  ])("rejects %s", (_, spec, messages) => {
    expect(create(resourceQuotaKind, quota(spec)).messages).toEqual(messages);
  });

  test("rejects changed scopes", () => {
    const old = quota({ hard: { pods: "1" }, scopes: ["Terminating"] });
    expect(
      update(resourceQuotaKind, quota({ hard: { pods: "1" }, scopes: ["NotTerminating"] }), old)
        .messages,
    ).toEqual(['spec.scopes: Invalid value: ["NotTerminating"]: field is immutable']);
  });

  test("drops status at create and keeps it at update", () => {
    const input = quota({ hard: { pods: "1" } });
    input.status = { used: { pods: "7" } };
    expect(create(resourceQuotaKind, input).object.status).toBeUndefined();
    expect(
      update(resourceQuotaKind, input, quota({ hard: { pods: "1" } })).object.status,
    ).toBeUndefined();
  });
});

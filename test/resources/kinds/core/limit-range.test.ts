import { describe, expect, test } from "bun:test";
import { limitRangeKind } from "../../../../src/resources/kinds/core/limit-range.ts";
import { create, type LooseObject, meta } from "./kind-harness.ts";

function limitRange(limits: Record<string, unknown>[]): LooseObject {
  return { apiVersion: "v1", kind: "LimitRange", metadata: meta("limits"), spec: { limits } };
}

describe("limitRangeKind", () => {
  test("defaults container limits from max and requests from the default limit", () => {
    const { object, errors } = create(
      limitRangeKind,
      limitRange([{ type: "Container", max: { cpu: "2" }, min: { memory: "64Mi" } }]),
    );
    expect(errors).toEqual([]);
    expect(object.spec.limits[0]).toEqual({
      type: "Container",
      max: { cpu: "2" },
      min: { memory: "64Mi" },
      default: { cpu: "2" },
      defaultRequest: { cpu: "2", memory: "64Mi" },
    });
  });

  test.each<[string, Record<string, unknown>[], string[]]>([
    [
      "an unknown limit type",
      [{ type: "Node", max: { cpu: "1" } }],
      [
        'spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified',
      ],
    ],
    [
      "min above max",
      [{ type: "Container", min: { cpu: "2" }, max: { cpu: "1" } }],
      [
        'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
        // The default request is defaulted from the default limit, itself from max.
        'spec.limits[0].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1',
        'spec.limits[0].default[cpu]: Invalid value: "2": min value 2 is greater than default value 1',
      ],
    ],
    [
      "defaults on a Pod limit",
      [{ type: "Pod", max: { cpu: "1" }, default: { cpu: "1" } }],
      ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"],
    ],
    [
      "a claim limit without storage bounds",
      [{ type: "PersistentVolumeClaim", max: { cpu: "1" } }],
      [
        "spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided",
      ],
    ],
    [
      "a ratio below 1",
      [{ type: "Container", maxLimitRequestRatio: { cpu: "500m" } }],
      [
        'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
      ],
    ],
    [
      "two limits of one type",
      [
        { type: "Pod", max: { cpu: "4" } },
        { type: "Pod", max: { cpu: "2" } },
      ],
      ['spec.limits[1].type: Duplicate value: "Pod"'],
    ],
  ])("rejects %s", (_, limits, messages) => {
    expect(create(limitRangeKind, limitRange(limits)).messages).toEqual(messages);
  });
});

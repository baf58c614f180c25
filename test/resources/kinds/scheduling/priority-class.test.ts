import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { priorityClassKind } from "../../../../src/resources/kinds/scheduling/priority-class.ts";
import { created, createErrors, updateErrors } from "../apps/kind-harness.ts";

function priorityClass(fields: Record<string, unknown>, name = "high"): KubeObject {
  return { metadata: { name }, ...fields };
}

describe("priorityClassKind", () => {
  test("defaults preemptionPolicy to PreemptLowerPriority", () => {
    expect(created(priorityClassKind, priorityClass({ value: 1000 })).preemptionPolicy).toBe(
      "PreemptLowerPriority",
    );
    expect(
      created(priorityClassKind, priorityClass({ value: 1, preemptionPolicy: "Never" }))
        .preemptionPolicy,
    ).toBe("Never");
  });

  test("accepts a user priority up to one billion and the built-in system classes", () => {
    expect(createErrors(priorityClassKind, priorityClass({ value: 1_000_000_000 }))).toEqual([]);
    expect(
      createErrors(
        priorityClassKind,
        priorityClass({ value: 2_000_001_000 }, "system-node-critical"),
      ),
    ).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "a user priority in the system range",
      priorityClass({ value: 1_000_000_001 }),
      ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"],
    ],
    [
      "an unknown system- name",
      priorityClass({ value: 10 }, "system-important"),
      [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-important is not a known system priority class",
      ],
    ],
    [
      "a system class with the wrong value",
      priorityClass({ value: 10 }, "system-cluster-critical"),
      [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-cluster-critical PriorityClass must be 2000000000",
      ],
    ],
    [
      "an unknown preemption policy",
      priorityClass({ value: 1, preemptionPolicy: "Sometimes" }),
      [
        'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
      ],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(priorityClassKind, input)).toEqual(expected);
    });
  }

  test("rejects an update that changes value or preemptionPolicy", () => {
    const stored = created(priorityClassKind, priorityClass({ value: 1000 }));
    expect(updateErrors(priorityClassKind, stored, priorityClass({ value: 2000 }))).toEqual([
      "value: Forbidden: may not be changed in an update.",
    ]);
    expect(
      updateErrors(
        priorityClassKind,
        stored,
        priorityClass({ value: 1000, preemptionPolicy: "Never" }),
      ),
    ).toEqual(['preemptionPolicy: Invalid value: "Never": field is immutable']);
    expect(
      updateErrors(
        priorityClassKind,
        stored,
        priorityClass({ value: 1000, description: "batch jobs" }),
      ),
    ).toEqual([]);
  });
});

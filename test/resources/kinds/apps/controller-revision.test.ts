import { describe, expect, test } from "bun:test";
import { controllerRevisionKind } from "../../../../src/resources/kinds/apps/controller-revision.ts";
import { created, createErrors, updateErrors } from "./kind-harness.ts";

describe("controllerRevisionKind", () => {
  const revision = {
    metadata: { name: "db-7c9d" },
    data: { spec: { template: { metadata: { labels: { app: "db" } } } } },
    revision: 2,
  };

  test("accepts a revision with data", () => {
    expect(createErrors(controllerRevisionKind, revision)).toEqual([]);
  });

  test("requires data and a non-negative revision", () => {
    expect(
      createErrors(controllerRevisionKind, { metadata: { name: "db-7c9d" }, revision: -1 }),
    ).toEqual([
      "data: Required value: data is mandatory",
      "revision: Invalid value: -1: must be greater than or equal to 0",
    ]);
  });

  test("rejects an update that changes data", () => {
    const stored = created(controllerRevisionKind, revision);
    expect(
      updateErrors(controllerRevisionKind, stored, {
        ...revision,
        data: { spec: { replicas: 2 } },
      }),
    ).toEqual(['data: Invalid value: {"spec":{"replicas":2}}: field is immutable']);
    expect(updateErrors(controllerRevisionKind, stored, { ...revision, revision: 3 })).toEqual([]);
  });
});

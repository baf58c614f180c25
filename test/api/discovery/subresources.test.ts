import { describe, expect, test } from "bun:test";
import { subresourcesOf } from "../../../src/api/discovery/subresources.ts";
import type { KindDefinition } from "../../../src/resources/kind.ts";
import { deploymentKind, podKind } from "./fixture-kinds.ts";

describe("subresourcesOf", () => {
  test("adds status for a status strategy and scale for a scale subresource, sorted", () => {
    expect(subresourcesOf(deploymentKind).map((s) => s.name)).toEqual(["scale", "status"]);
    expect(subresourcesOf(podKind).map((s) => s.name)).toEqual([
      "attach",
      "binding",
      "ephemeralcontainers",
      "eviction",
      "exec",
      "log",
      "portforward",
      "proxy",
      "status",
    ]);
  });

  test("lists a subresource only once when the kind also names it", () => {
    const kind: KindDefinition = { ...deploymentKind, subresources: ["status", "scale"] };
    expect(subresourcesOf(kind).map((s) => s.name)).toEqual(["scale", "status"]);
  });

  test("describes a subresource upstream does not define as a read/write view of the parent", () => {
    const kind: KindDefinition = { ...deploymentKind, subresources: ["rollback"] };
    expect(subresourcesOf(kind).find((s) => s.name === "rollback")).toEqual({
      name: "rollback",
      group: "apps",
      version: "v1",
      kind: "Deployment",
      schemaRef: "apps/v1.Deployment",
      verbs: ["get", "patch", "update"],
      style: "object",
    });
  });
});

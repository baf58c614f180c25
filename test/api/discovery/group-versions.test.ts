import { describe, expect, test } from "bun:test";
import { compareVersions, servedGroups } from "../../../src/api/discovery/group-versions.ts";
import type { KindDefinition } from "../../../src/resources/kind.ts";
import { deploymentKind, fixtureKinds } from "./fixture-kinds.ts";

describe("compareVersions", () => {
  test("orders GA before beta before alpha, newest first, unknown names last", () => {
    const versions = ["v1alpha1", "v2", "foo", "v1beta1", "v1", "v1beta2", "v10", "bar"];
    expect(versions.sort(compareVersions)).toEqual([
      "v10",
      "v2",
      "v1",
      "v1beta2",
      "v1beta1",
      "v1alpha1",
      "bar",
      "foo",
    ]);
  });
});

describe("servedGroups", () => {
  test("puts core first, then upstream's group order, unknown groups alphabetically last", () => {
    const extra = (group: string): KindDefinition => ({ ...deploymentKind, group });
    const groups = servedGroups([
      ...fixtureKinds,
      extra("zeta.example.com"),
      extra("alpha.example.com"),
      extra("batch"),
    ]);
    expect(groups.map((g) => g.group)).toEqual([
      "",
      "apps",
      "autoscaling",
      "batch",
      "coordination.k8s.io",
      "alpha.example.com",
      "zeta.example.com",
    ]);
  });

  test("sorts each version's kinds by resource name", () => {
    const core = servedGroups(fixtureKinds)[0];
    const resources = core?.versions[0]?.kinds.map((k) => k.resource) ?? [];
    expect(resources).toEqual([...resources].sort());
    expect(resources).toContain("pods");
  });
});

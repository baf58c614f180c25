import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { rbacPrinters } from "../../../src/resources/printers/rbac-printers.ts";
import { ago, cellsByColumn, days } from "./printer-fixtures.ts";

const group = "rbac.authorization.k8s.io";

const binding: KubeObject = {
  metadata: { name: "readers", creationTimestamp: ago(days(100)) },
  roleRef: { apiGroup: group, kind: "ClusterRole", name: "view" },
  subjects: [
    { kind: "User", name: "alice" },
    { kind: "Group", name: "devs" },
    { kind: "ServiceAccount", name: "ci", namespace: "build" },
    { kind: "User", name: "bob" },
    { kind: "Robot", name: "r2" },
  ],
};

describe("role binding printers", () => {
  for (const resource of ["rolebindings", "clusterrolebindings"]) {
    test(`a ${resource} entry prints its role and subjects by kind`, () => {
      const columns = rbacPrinters[`${resource}.${group}`]?.columns ?? [];
      expect(cellsByColumn(group, resource, binding, columns)).toEqual({
        Name: "readers",
        Role: "ClusterRole/view",
        Age: "100d",
        Users: "alice, bob",
        Groups: "devs",
        ServiceAccounts: "build/ci",
      });
    });
  }

  test("prints empty subject cells for a binding without subjects", () => {
    const columns = rbacPrinters[`rolebindings.${group}`]?.columns ?? [];
    const empty: KubeObject = { metadata: { name: "x" }, roleRef: { kind: "Role", name: "edit" } };
    expect(cellsByColumn(group, "rolebindings", empty, columns)).toMatchObject({
      Role: "Role/edit",
      Users: "",
      Groups: "",
      ServiceAccounts: "",
    });
  });
});

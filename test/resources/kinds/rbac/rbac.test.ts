import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { clusterRoleKind } from "../../../../src/resources/kinds/rbac/cluster-role.ts";
import { clusterRoleBindingKind } from "../../../../src/resources/kinds/rbac/cluster-role-binding.ts";
import { roleKind } from "../../../../src/resources/kinds/rbac/role.ts";
import { roleBindingKind } from "../../../../src/resources/kinds/rbac/role-binding.ts";
import { created, createErrors, updateErrors } from "../apps/kind-harness.ts";

const readPods = { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] };

describe("roleKind and clusterRoleKind", () => {
  test("accept names that are only path segments, like the built-in roles", () => {
    const role = { metadata: { name: "system:controller:job-controller" }, rules: [readPods] };
    expect(createErrors(clusterRoleKind, role)).toEqual([]);
    expect(createErrors(roleKind, role)).toEqual([]);
  });

  test("reject names that cannot be a path segment", () => {
    expect(createErrors(roleKind, { metadata: { name: "a/b" }, rules: [] })).toEqual([
      `metadata.name: Invalid value: "a/b": may not contain '/'`,
    ]);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "a rule without verbs",
      { apiGroups: [""], resources: ["pods"] },
      ["rules[0].verbs: Required value: verbs must contain at least one value"],
    ],
    [
      "a resource rule without groups and resources",
      { verbs: ["get"] },
      [
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
        "rules[0].resources: Required value: resource rules must supply at least one resource",
      ],
    ],
    [
      "a rule for both resources and URLs",
      { verbs: ["get"], resources: ["pods"], nonResourceURLs: ["/healthz"] },
      [
        'rules[0].nonResourceURLs: Invalid value: ["/healthz"]: rules cannot apply to both regular resources and non-resource URLs',
      ],
    ],
  ];
  for (const [name, rule, expected] of cases) {
    test(`reject ${name}`, () => {
      expect(createErrors(clusterRoleKind, { metadata: { name: "r" }, rules: [rule] })).toEqual(
        expected,
      );
    });
  }

  test("keep non-resource URLs out of namespaced roles", () => {
    const rule = { verbs: ["get"], nonResourceURLs: ["/metrics"] };
    expect(createErrors(clusterRoleKind, { metadata: { name: "r" }, rules: [rule] })).toEqual([]);
    expect(createErrors(roleKind, { metadata: { name: "r" }, rules: [rule] })).toEqual([
      'rules[0].nonResourceURLs: Invalid value: ["/metrics"]: namespaced rules cannot apply to non-resource URLs',
    ]);
  });

  test("reject an aggregation rule without selectors", () => {
    const role = { metadata: { name: "admin" }, aggregationRule: { clusterRoleSelectors: [] } };
    expect(createErrors(clusterRoleKind, role)).toEqual([
      "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil",
    ]);
  });
});

function binding(fields: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "read-pods" },
    roleRef: { kind: "ClusterRole", name: "view" },
    subjects: [
      { kind: "User", name: "alice" },
      { kind: "ServiceAccount", name: "builder", namespace: "ci" },
    ],
    ...fields,
  };
}

describe("roleBindingKind and clusterRoleBindingKind", () => {
  test("default the API groups of roleRef and subjects", () => {
    const object = created(roleBindingKind, binding());
    expect(object.roleRef).toEqual({
      kind: "ClusterRole",
      name: "view",
      apiGroup: "rbac.authorization.k8s.io",
    });
    expect(object.subjects).toEqual([
      { kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" },
      { kind: "ServiceAccount", name: "builder", namespace: "ci", apiGroup: "" },
    ]);
  });

  test("accept a binding to a cluster role", () => {
    expect(createErrors(roleBindingKind, binding())).toEqual([]);
    expect(createErrors(clusterRoleBindingKind, binding())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "an unknown subject kind",
      binding({ subjects: [{ kind: "Robot", name: "r2" }] }),
      [
        'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      ],
    ],
    [
      "a subject without a name",
      binding({ subjects: [{ kind: "Group", name: "" }] }),
      ["subjects[0].name: Required value"],
    ],
    [
      "a roleRef in another group",
      binding({ roleRef: { apiGroup: "example.com", kind: "ClusterRole", name: "view" } }),
      [
        'roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
      ],
    ],
    [
      "a roleRef without a name",
      binding({ roleRef: { kind: "Role" } }),
      ["roleRef.name: Required value"],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`reject ${name}`, () => {
      expect(createErrors(roleBindingKind, input)).toEqual(expected);
    });
  }

  test("a ClusterRoleBinding binds only ClusterRoles and names service account namespaces", () => {
    const input = binding({
      roleRef: { kind: "Role", name: "r" },
      subjects: [{ kind: "ServiceAccount", name: "builder" }],
    });
    expect(createErrors(clusterRoleBindingKind, input)).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      "subjects[0].namespace: Required value",
    ]);
  });

  test("reject an update that changes roleRef", () => {
    for (const kind of [roleBindingKind, clusterRoleBindingKind]) {
      const stored = created(kind, binding());
      expect(
        updateErrors(kind, stored, binding({ roleRef: { kind: "ClusterRole", name: "admin" } })),
      ).toEqual([
        'roleRef: Invalid value: {"kind":"ClusterRole","name":"admin","apiGroup":"rbac.authorization.k8s.io"}: cannot change roleRef',
      ]);
      expect(updateErrors(kind, stored, binding({ subjects: [] }))).toEqual([]);
    }
  });
});

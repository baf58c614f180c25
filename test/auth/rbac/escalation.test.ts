import { describe, expect, test } from "bun:test";
import type { AdmissionRequest } from "../../../src/api/admission/admission.ts";
import { StatusError } from "../../../src/api/errors/status-error.ts";
import { covers, RbacEscalationCheck } from "../../../src/auth/rbac/escalation.ts";
import type { PolicyRule } from "../../../src/auth/rbac/policy-rule.ts";
import { RbacAuthorizer } from "../../../src/auth/rbac/rbac-authorizer.ts";
import type { KindDefinition, KubeObject } from "../../../src/resources/kind.ts";
import { configMapKind } from "../../../src/resources/kinds/core/config-map.ts";
import { clusterRoleKind } from "../../../src/resources/kinds/rbac/cluster-role.ts";
import { clusterRoleBindingKind } from "../../../src/resources/kinds/rbac/cluster-role-binding.ts";
import { roleKind } from "../../../src/resources/kinds/rbac/role.ts";
import { roleBindingKind } from "../../../src/resources/kinds/rbac/role-binding.ts";
import {
  clusterRole,
  clusterRoleBinding,
  groupSubject,
  memoryReader,
  role,
  roleBinding,
  userSubject,
} from "./fixtures.ts";

const getPods: PolicyRule = { verbs: ["get"], apiGroups: [""], resources: ["pods"] };

describe("covers", () => {
  test.each<[string, PolicyRule[], PolicyRule[], boolean]>([
    ["the same rule", [getPods], [getPods], true],
    ["nothing by nothing", [], [], true],
    ["a rule by no rules", [], [getPods], false],
    ["another verb", [getPods], [{ ...getPods, verbs: ["list"] }], false],
    [
      "any verb by the verb wildcard",
      [{ ...getPods, verbs: ["*"] }],
      [{ ...getPods, verbs: ["escalate"] }],
      true,
    ],
    // "*" in the servant is only covered by "*" in the owner, not by a list of verbs.
    [
      "the verb wildcard by verbs",
      [{ ...getPods, verbs: ["get", "list", "create"] }],
      [{ ...getPods, verbs: ["*"] }],
      false,
    ],
    [
      "another group by the group wildcard",
      [{ ...getPods, apiGroups: ["*"] }],
      [{ ...getPods, apiGroups: ["apps"] }],
      true,
    ],
    ["another group", [getPods], [{ ...getPods, apiGroups: ["apps"] }], false],
    [
      "any resource by the resource wildcard",
      [{ ...getPods, resources: ["*"] }],
      [{ ...getPods, resources: ["secrets", "pods/log"] }],
      true,
    ],
    ["a subresource by its resource", [getPods], [{ ...getPods, resources: ["pods/log"] }], false],
    [
      "a scale subresource by */scale",
      [{ verbs: ["get"], apiGroups: ["apps"], resources: ["*/scale"] }],
      [{ verbs: ["get"], apiGroups: ["apps"], resources: ["deployments/scale"] }],
      true,
    ],
    [
      "a resource by */scale",
      [{ verbs: ["get"], apiGroups: ["apps"], resources: ["*/scale"] }],
      [{ verbs: ["get"], apiGroups: ["apps"], resources: ["deployments"] }],
      false,
    ],
    ["named objects by any name", [getPods], [{ ...getPods, resourceNames: ["web"] }], true],
    ["any name by named objects", [{ ...getPods, resourceNames: ["web"] }], [getPods], false],
    [
      "a subset of names",
      [{ ...getPods, resourceNames: ["web", "db"] }],
      [{ ...getPods, resourceNames: ["db"] }],
      true,
    ],
    [
      "another name",
      [{ ...getPods, resourceNames: ["web"] }],
      [{ ...getPods, resourceNames: ["db"] }],
      false,
    ],
    [
      "a rule split over owner rules",
      [getPods, { ...getPods, verbs: ["list"] }],
      [{ ...getPods, verbs: ["get", "list"] }],
      true,
    ],
    [
      "a URL by a prefix",
      [{ verbs: ["get"], nonResourceURLs: ["/apis/*"] }],
      [{ verbs: ["get"], nonResourceURLs: ["/apis/apps"] }],
      true,
    ],
    [
      "a URL by another",
      [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
      [{ verbs: ["get"], nonResourceURLs: ["/livez"] }],
      false,
    ],
    [
      "any URL by the URL wildcard",
      [{ verbs: ["*"], nonResourceURLs: ["*"] }],
      [{ verbs: ["post"], nonResourceURLs: ["/x/y"] }],
      true,
    ],
    [
      "a URL by a resource rule",
      [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
      [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
      false,
    ],
    ["a resource by a URL rule", [{ verbs: ["*"], nonResourceURLs: ["*"] }], [getPods], false],
  ])("%s", (_, owner, servant, expected) => {
    expect(covers(owner, servant).covers).toBe(expected);
  });

  test("lists what is not covered, one verb/group/resource/name each", () => {
    const result = covers(
      [{ verbs: ["get"], apiGroups: [""], resources: ["pods", "secrets"] }],
      [
        { verbs: ["get", "delete"], apiGroups: ["", "apps"], resources: ["pods"] },
        { verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a", "b"] },
        { verbs: ["get", "post"], nonResourceURLs: ["/metrics"] },
      ],
    );
    expect(result).toEqual({
      covers: false,
      uncovered: [
        { apiGroups: [""], resources: ["pods"], verbs: ["delete"] },
        { apiGroups: ["apps"], resources: ["pods"], verbs: ["get"] },
        { apiGroups: ["apps"], resources: ["pods"], verbs: ["delete"] },
        { nonResourceURLs: ["/metrics"], verbs: ["get"] },
        { nonResourceURLs: ["/metrics"], verbs: ["post"] },
      ],
    });
  });
});

// --- RbacEscalationCheck ------------------------------------------------------------

const podsEditor = clusterRole("pods-editor", [
  { verbs: ["get", "list", "create"], apiGroups: [""], resources: ["pods"] },
]);

function request(
  kind: KindDefinition,
  object: KubeObject,
  options: {
    user?: string;
    groups?: string[];
    namespace?: string;
    operation?: AdmissionRequest["operation"];
    oldObject?: KubeObject;
  } = {},
): AdmissionRequest {
  return {
    operation: options.operation ?? "CREATE",
    kind,
    object,
    oldObject: options.oldObject ?? null,
    context: {
      user: options.user ?? "bob",
      groups: options.groups ?? ["system:authenticated"],
      namespace: options.namespace ?? object.metadata?.namespace ?? "",
      dryRun: false,
    },
    subresource: "",
  };
}

function check(objects: KubeObject[]): RbacEscalationCheck {
  const reader = memoryReader(objects);
  return new RbacEscalationCheck(reader, new RbacAuthorizer(reader));
}

async function rejection(promise: Promise<void>): Promise<StatusError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error("the write was admitted");
}

describe("RbacEscalationCheck for roles", () => {
  const wanted = role("ns1", "r", [getPods]);

  test("denies a role the user does not hold, with upstream's message", async () => {
    const error = await rejection(check([]).validate(request(roleKind, wanted)));
    expect(error.status.code).toBe(403);
    expect(error.status.reason).toBe("Forbidden");
    expect(error.message).toBe(
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "bob" (groups=["system:authenticated"]) ' +
        "is attempting to grant RBAC permissions not currently held:\n" +
        '{APIGroups:[""], Resources:["pods"], Verbs:["get"]}',
    );
    expect(error.status.details).toEqual({
      name: "r",
      group: "rbac.authorization.k8s.io",
      kind: "roles",
    });
  });

  test("lists missing permissions compacted per resource and sorted", async () => {
    const many = role("ns1", "r", [
      { verbs: ["get", "list"], apiGroups: ["", "apps"], resources: ["pods"] },
      { verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["s"] },
    ]);
    const error = await rejection(
      check([]).validate(request(roleKind, many, { groups: ["a", "b"] })),
    );
    expect(error.message).toEndWith(
      'user "bob" (groups=["a" "b"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}\n' +
        '{APIGroups:[""], Resources:["secrets"], ResourceNames:["s"], Verbs:["get"]}\n' +
        '{APIGroups:["apps"], Resources:["pods"], Verbs:["get" "list"]}',
    );
  });

  test("allows a role the user holds in that namespace, and only there", async () => {
    const plugin = check([
      podsEditor,
      roleBinding("ns1", "b", { kind: "ClusterRole", name: "pods-editor" }, [userSubject("bob")]),
    ]);
    await plugin.validate(request(roleKind, wanted));
    await rejection(plugin.validate(request(roleKind, role("ns2", "r", [getPods]))));
  });

  test("allows a user with the escalate verb on roles", async () => {
    const plugin = check([
      clusterRole("escalator", [
        { verbs: ["escalate"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"] },
      ]),
      roleBinding("ns1", "b", { kind: "ClusterRole", name: "escalator" }, [userSubject("bob")]),
    ]);
    const everything = role("ns1", "r", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]);
    await plugin.validate(request(roleKind, everything));
    await rejection(plugin.validate(request(roleKind, role("ns2", "r", [getPods]))));
  });

  test("allows system:masters anything", async () => {
    const everything = role("ns1", "r", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]);
    await check([]).validate(request(roleKind, everything, { groups: ["system:masters"] }));
  });

  test("checks a ClusterRole against cluster-wide rules only", async () => {
    const plugin = check([
      podsEditor,
      roleBinding("ns1", "b", { kind: "ClusterRole", name: "pods-editor" }, [userSubject("bob")]),
    ]);
    const wantedCluster = clusterRole("c", [getPods]);
    const error = await rejection(plugin.validate(request(clusterRoleKind, wantedCluster)));
    expect(error.message).toStartWith('clusterroles.rbac.authorization.k8s.io "c" is forbidden: ');
    await check([
      podsEditor,
      clusterRoleBinding("b", "pods-editor", [groupSubject("system:authenticated")]),
    ]).validate(request(clusterRoleKind, wantedCluster));
  });

  test("lets an update that only changes GC fields through", async () => {
    const old = role("ns1", "r", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]);
    const next = structuredClone(old);
    next.metadata = { ...next.metadata, finalizers: ["x"], ownerReferences: [] };
    await check([]).validate(request(roleKind, next, { operation: "UPDATE", oldObject: old }));
    const relabelled = structuredClone(old);
    relabelled.metadata = { ...relabelled.metadata, labels: { a: "b" } };
    await rejection(
      check([]).validate(request(roleKind, relabelled, { operation: "UPDATE", oldObject: old })),
    );
  });

  test("ignores deletes, other kinds and subresources", async () => {
    const plugin = check([]);
    await plugin.validate(request(roleKind, wanted, { operation: "DELETE" }));
    await plugin.validate(request(configMapKind, { metadata: { name: "c", namespace: "ns1" } }));
    await plugin.validate({ ...request(roleKind, wanted), subresource: "status" });
  });
});

describe("RbacEscalationCheck for aggregated ClusterRoles", () => {
  const aggregated = clusterRole("agg", [], {
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: "true" } }] },
  });

  test("needs cluster-admin's powers even with no rules yet", async () => {
    const plugin = check([
      podsEditor,
      clusterRoleBinding("b", "pods-editor", [userSubject("bob")]),
    ]);
    const error = await rejection(plugin.validate(request(clusterRoleKind, aggregated)));
    expect(error.message).toBe(
      'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule',
    );
  });

  test("needs them to remove an aggregationRule too", async () => {
    const plain = clusterRole("agg", []);
    await rejection(
      check([]).validate(
        request(clusterRoleKind, plain, { operation: "UPDATE", oldObject: aggregated }),
      ),
    );
  });

  test("allows a user holding everything, or the escalate verb", async () => {
    await check([
      clusterRole("all", [
        { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
        { verbs: ["*"], nonResourceURLs: ["*"] },
      ]),
      clusterRoleBinding("b", "all", [userSubject("bob")]),
    ]).validate(request(clusterRoleKind, aggregated));
    await check([
      clusterRole("aggregator", [
        {
          verbs: ["escalate"],
          apiGroups: ["rbac.authorization.k8s.io"],
          resources: ["clusterroles"],
        },
      ]),
      clusterRoleBinding("b", "aggregator", [userSubject("bob")]),
    ]).validate(request(clusterRoleKind, aggregated));
  });
});

describe("RbacEscalationCheck for bindings", () => {
  const binding = roleBinding("ns1", "b", { kind: "ClusterRole", name: "pods-editor" }, [
    userSubject("carol"),
  ]);

  test("denies binding a role the user does not hold", async () => {
    const error = await rejection(check([podsEditor]).validate(request(roleBindingKind, binding)));
    expect(error.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "bob" (groups=["system:authenticated"]) ' +
        "is attempting to grant RBAC permissions not currently held:\n" +
        '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list" "create"]}',
    );
  });

  test("allows binding a role whose permissions the user holds in the namespace", async () => {
    const plugin = check([
      podsEditor,
      role("ns1", "all-pods", [{ verbs: ["*"], apiGroups: [""], resources: ["pods"] }]),
      roleBinding("ns1", "mine", { kind: "Role", name: "all-pods" }, [userSubject("bob")]),
    ]);
    await plugin.validate(request(roleBindingKind, binding));
    const elsewhere = roleBinding("ns2", "b", { kind: "ClusterRole", name: "pods-editor" }, []);
    await rejection(plugin.validate(request(roleBindingKind, elsewhere)));
  });

  test("allows a user with the bind verb on that role, by name", async () => {
    const plugin = check([
      podsEditor,
      clusterRole("binder", [
        {
          verbs: ["bind"],
          apiGroups: ["rbac.authorization.k8s.io"],
          resources: ["clusterroles"],
          resourceNames: ["pods-editor"],
        },
      ]),
      roleBinding("ns1", "delegate", { kind: "ClusterRole", name: "binder" }, [userSubject("bob")]),
      clusterRole("other", [getPods]),
    ]);
    await plugin.validate(request(roleBindingKind, binding));
    const other = roleBinding("ns1", "b2", { kind: "ClusterRole", name: "other" }, []);
    await rejection(plugin.validate(request(roleBindingKind, other)));
  });

  test("checks a ClusterRoleBinding against cluster-wide rules only", async () => {
    const plugin = check([
      podsEditor,
      roleBinding("ns1", "mine", { kind: "ClusterRole", name: "pods-editor" }, [
        userSubject("bob"),
      ]),
    ]);
    const wanted = clusterRoleBinding("crb", "pods-editor", [userSubject("carol")]);
    const error = await rejection(plugin.validate(request(clusterRoleBindingKind, wanted)));
    expect(error.message).toStartWith(
      'clusterrolebindings.rbac.authorization.k8s.io "crb" is forbidden: user "bob"',
    );
  });

  test("answers 404 for a missing role the user may not bind", async () => {
    const missing = roleBinding("ns1", "b", { kind: "Role", name: "nope" }, []);
    const error = await rejection(check([]).validate(request(roleBindingKind, missing)));
    expect(error.status.code).toBe(404);
    expect(error.message).toBe('roles.rbac.authorization.k8s.io "nope" not found');
  });

  test("allows system:masters to bind anything, even a missing role", async () => {
    const missing = roleBinding("ns1", "b", { kind: "ClusterRole", name: "nope" }, []);
    await check([]).validate(request(roleBindingKind, missing, { groups: ["system:masters"] }));
  });

  test("lets an update that only changes owner references through", async () => {
    const next = structuredClone(binding);
    next.metadata = {
      ...next.metadata,
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "u" }],
    };
    await check([podsEditor]).validate(
      request(roleBindingKind, next, { operation: "UPDATE", oldObject: binding }),
    );
    const moreSubjects = { ...structuredClone(binding), subjects: [userSubject("dave")] };
    await rejection(
      check([podsEditor]).validate(
        request(roleBindingKind, moreSubjects, { operation: "UPDATE", oldObject: binding }),
      ),
    );
  });
});

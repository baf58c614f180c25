import { describe, expect, test } from "bun:test";
import {
  policyRulesFor,
  RbacAuthorizer,
  rulesFor,
} from "../../../src/auth/rbac/rbac-authorizer.ts";
import {
  clusterRole,
  clusterRoleBinding,
  groupSubject,
  memoryReader,
  nonResourceAttributes,
  resourceAttributes,
  role,
  roleBinding,
  serviceAccountSubject,
  userInfo,
  userSubject,
} from "./fixtures.ts";

const podReader = clusterRole("pod-reader", [
  { verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] },
]);

describe("RbacAuthorizer", () => {
  test("allows through a ClusterRoleBinding, with upstream's reason", () => {
    const reader = memoryReader([
      clusterRole("cluster-admin", [
        { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
        { verbs: ["*"], nonResourceURLs: ["*"] },
      ]),
      clusterRoleBinding("cluster-admin", "cluster-admin", [groupSubject("system:masters")]),
    ]);
    const admin = userInfo("admin", ["system:masters", "system:authenticated"]);
    const decision = new RbacAuthorizer(reader).authorize(
      resourceAttributes(admin, { verb: "delete", resource: "nodes", name: "n1" }),
    );
    expect(decision).toEqual({
      decision: "allow",
      reason:
        'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
    });
  });

  test("has no opinion when nothing allows", () => {
    const reader = memoryReader([
      podReader,
      clusterRoleBinding("readers", "pod-reader", [userSubject("alice")]),
    ]);
    const authorizer = new RbacAuthorizer(reader);
    expect(authorizer.authorize(resourceAttributes(userInfo("bob"), {}))).toEqual({
      decision: "no-opinion",
      reason: "",
    });
    expect(
      authorizer.authorize(resourceAttributes(userInfo("alice"), { verb: "delete" })).decision,
    ).toBe("no-opinion");
  });

  test("matches users by name and groups by membership", () => {
    const reader = memoryReader([
      podReader,
      clusterRoleBinding("readers", "pod-reader", [userSubject("alice"), groupSubject("devs")]),
    ]);
    const authorizer = new RbacAuthorizer(reader);
    const allowed = (user: string, groups: string[]) =>
      authorizer.authorize(resourceAttributes(userInfo(user, groups), { namespace: "ns1" }))
        .decision;
    expect(allowed("alice", [])).toBe("allow");
    expect(allowed("carol", ["devs"])).toBe("allow");
    expect(allowed("devs", [])).toBe("no-opinion");
    expect(allowed("carol", ["alice"])).toBe("no-opinion");
  });

  describe("a RoleBinding to a ClusterRole", () => {
    const reader = memoryReader([
      podReader,
      roleBinding("ns1", "read-pods", { kind: "ClusterRole", name: "pod-reader" }, [
        userSubject("alice"),
      ]),
    ]);
    const authorizer = new RbacAuthorizer(reader);
    const alice = userInfo("alice");

    test("grants the role in the binding's namespace", () => {
      expect(authorizer.authorize(resourceAttributes(alice, { namespace: "ns1" }))).toEqual({
        decision: "allow",
        reason:
          'RBAC: allowed by RoleBinding "read-pods/ns1" of ClusterRole "pod-reader" to User "alice"',
      });
    });

    test("grants nothing in another namespace", () => {
      expect(authorizer.authorize(resourceAttributes(alice, { namespace: "ns2" })).decision).toBe(
        "no-opinion",
      );
    });

    test("grants nothing cluster-wide (all-namespace lists, cluster-scoped objects)", () => {
      expect(authorizer.authorize(resourceAttributes(alice, { verb: "list" })).decision).toBe(
        "no-opinion",
      );
    });

    test("grants no non-resource URLs", () => {
      const all = memoryReader([
        clusterRole("everything", [{ verbs: ["*"], nonResourceURLs: ["*"] }]),
        roleBinding("ns1", "b", { kind: "ClusterRole", name: "everything" }, [
          userSubject("alice"),
        ]),
      ]);
      expect(
        new RbacAuthorizer(all).authorize(nonResourceAttributes(alice, "get", "/healthz")).decision,
      ).toBe("no-opinion");
    });
  });

  test("resolves a RoleBinding's Role in the binding's namespace only", () => {
    const reader = memoryReader([
      role("ns1", "reader", [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }]),
      roleBinding("ns1", "b", { kind: "Role", name: "reader" }, [userSubject("alice")]),
      // Same role name, but the Role exists only in ns1.
      roleBinding("ns2", "b", { kind: "Role", name: "reader" }, [userSubject("alice")]),
    ]);
    const authorizer = new RbacAuthorizer(reader);
    const get = (namespace: string) =>
      authorizer.authorize(
        resourceAttributes(userInfo("alice"), { resource: "secrets", namespace, name: "s" }),
      );
    expect(get("ns1")).toEqual({
      decision: "allow",
      reason: 'RBAC: allowed by RoleBinding "b/ns1" of Role "reader" to User "alice"',
    });
    expect(get("ns2").decision).toBe("no-opinion");
  });

  describe("service account subjects", () => {
    const reader = memoryReader([
      podReader,
      clusterRoleBinding("sa-everywhere", "pod-reader", [serviceAccountSubject("robot", "ci")]),
      // No namespace: a RoleBinding's own namespace applies.
      roleBinding("apps", "local-sa", { kind: "ClusterRole", name: "pod-reader" }, [
        serviceAccountSubject("deployer"),
      ]),
      // No namespace in a cluster binding matches nobody.
      clusterRoleBinding("broken", "pod-reader", [serviceAccountSubject("deployer")]),
    ]);
    const authorizer = new RbacAuthorizer(reader);
    const decide = (user: string, namespace: string) =>
      authorizer.authorize(resourceAttributes(userInfo(user, []), { namespace }));

    test("match the service account's user name", () => {
      expect(decide("system:serviceaccount:ci:robot", "other")).toEqual({
        decision: "allow",
        reason:
          'RBAC: allowed by ClusterRoleBinding "sa-everywhere" of ClusterRole "pod-reader" to ServiceAccount "robot/ci"',
      });
      expect(decide("system:serviceaccount:other:robot", "other").decision).toBe("no-opinion");
    });

    test("default to the RoleBinding's namespace", () => {
      expect(decide("system:serviceaccount:apps:deployer", "apps")).toEqual({
        decision: "allow",
        reason:
          'RBAC: allowed by RoleBinding "local-sa/apps" of ClusterRole "pod-reader" to ServiceAccount "deployer/apps"',
      });
      expect(decide("system:serviceaccount:default:deployer", "apps").decision).toBe("no-opinion");
      expect(decide("system:serviceaccount:default:deployer", "default").decision).toBe(
        "no-opinion",
      );
    });
  });

  test("skips bindings whose role is missing", () => {
    const reader = memoryReader([
      podReader,
      clusterRoleBinding("a-missing", "missing", [userSubject("alice")]),
      roleBinding("ns1", "missing-role", { kind: "Role", name: "gone" }, [userSubject("alice")]),
      clusterRoleBinding("b-readers", "pod-reader", [userSubject("alice")]),
    ]);
    expect(
      new RbacAuthorizer(reader).authorize(
        resourceAttributes(userInfo("alice"), { namespace: "ns1" }),
      ).reason,
    ).toBe(
      'RBAC: allowed by ClusterRoleBinding "b-readers" of ClusterRole "pod-reader" to User "alice"',
    );
  });

  test("takes roles from ClusterRoleBindings whatever the request's namespace", () => {
    const reader = memoryReader([
      podReader,
      clusterRoleBinding("readers", "pod-reader", [userSubject("alice")]),
    ]);
    const authorizer = new RbacAuthorizer(reader);
    for (const namespace of ["", "ns1", "kube-system"]) {
      expect(
        authorizer.authorize(resourceAttributes(userInfo("alice"), { namespace })).decision,
      ).toBe("allow");
    }
  });
});

describe("rulesFor", () => {
  const reader = memoryReader([
    clusterRole("discovery", [{ verbs: ["get"], nonResourceURLs: ["/api", "/api/*"] }]),
    clusterRoleBinding("discovery", "discovery", [groupSubject("system:authenticated")]),
    role("ns1", "cm-reader", [
      { verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["settings"] },
    ]),
    roleBinding("ns1", "cm", { kind: "Role", name: "cm-reader" }, [userSubject("alice")]),
    role("ns2", "secret-admin", [{ verbs: ["*"], apiGroups: [""], resources: ["secrets"] }]),
    roleBinding("ns2", "secrets", { kind: "Role", name: "secret-admin" }, [userSubject("alice")]),
  ]);
  const alice = userInfo("alice");

  test("reports the cluster-wide rules and the namespace's, in SelfSubjectRulesReview shape", () => {
    expect(rulesFor(reader, alice, "ns1")).toEqual({
      resourceRules: [
        {
          verbs: ["get"],
          apiGroups: [""],
          resources: ["configmaps"],
          resourceNames: ["settings"],
        },
      ],
      nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/api", "/api/*"] }],
      incomplete: false,
      evaluationError: "",
    });
  });

  test("reports only cluster-wide rules without a namespace", () => {
    const status = rulesFor(reader, alice, "");
    expect(status.resourceRules).toEqual([]);
    expect(status.nonResourceRules).toHaveLength(1);
  });

  test("leaves out empty lists, as upstream's omitempty", () => {
    const status = rulesFor(reader, alice, "ns2");
    expect(status.resourceRules).toEqual([
      { verbs: ["*"], apiGroups: [""], resources: ["secrets"] },
    ]);
  });

  test("reports missing roles as the evaluation error", () => {
    const broken = memoryReader([
      clusterRoleBinding("x", "missing", [userSubject("alice")]),
      roleBinding("ns1", "y", { kind: "Role", name: "gone" }, [userSubject("alice")]),
    ]);
    expect(rulesFor(broken, alice, "").evaluationError).toBe(
      'clusterrole.rbac.authorization.k8s.io "missing" not found',
    );
    expect(rulesFor(broken, alice, "ns1").evaluationError).toBe(
      '[clusterrole.rbac.authorization.k8s.io "missing" not found, role.rbac.authorization.k8s.io "gone" not found]',
    );
  });
});

describe("policyRulesFor", () => {
  test("lists cluster rules first, then the namespace's, and nothing of other users", () => {
    const reader = memoryReader([
      podReader,
      clusterRoleBinding("readers", "pod-reader", [userSubject("alice")]),
      role("ns1", "r", [{ verbs: ["create"], apiGroups: [""], resources: ["pods"] }]),
      roleBinding("ns1", "b", { kind: "Role", name: "r" }, [userSubject("alice")]),
      roleBinding("ns1", "other", { kind: "Role", name: "r" }, [userSubject("bob")]),
    ]);
    expect(policyRulesFor(reader, userInfo("alice"), "ns1")).toEqual([
      { verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] },
      { verbs: ["create"], apiGroups: [""], resources: ["pods"] },
    ]);
    expect(policyRulesFor(reader, userInfo("carol"), "ns1")).toEqual([]);
  });
});

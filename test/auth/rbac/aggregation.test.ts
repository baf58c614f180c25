import { describe, expect, test } from "bun:test";
import { aggregatedRules, rulesEqual } from "../../../src/auth/rbac/aggregation.ts";
import { defaultClusterRoles } from "../../../src/auth/rbac/bootstrap-policy.ts";
import type { PolicyRule } from "../../../src/auth/rbac/policy-rule.ts";
import { rulesAllow } from "../../../src/auth/rbac/rule-matching.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { clusterRole, resourceAttributes, userInfo } from "./fixtures.ts";

const getPods: PolicyRule = { verbs: ["get"], apiGroups: [""], resources: ["pods"] };
const listNodes: PolicyRule = { verbs: ["list"], apiGroups: [""], resources: ["nodes"] };
const watchJobs: PolicyRule = { verbs: ["watch"], apiGroups: ["batch"], resources: ["jobs"] };

function labelled(name: string, labels: Record<string, string>, rules: PolicyRule[]): KubeObject {
  return { ...clusterRole(name, rules), metadata: { name, labels } };
}

function aggregating(name: string, selectors: unknown[], rules: PolicyRule[] = []): KubeObject {
  return clusterRole(name, rules, { aggregationRule: { clusterRoleSelectors: selectors } });
}

describe("aggregatedRules", () => {
  test("is null for a role without an aggregationRule", () => {
    expect(aggregatedRules(clusterRole("plain", [getPods]), [])).toBeNull();
  });

  test("collects the rules of matching roles, by name, each rule once", () => {
    const target = aggregating("target", [{ matchLabels: { team: "a" } }]);
    const roles = [
      target,
      labelled("zeta", { team: "a" }, [listNodes, getPods]),
      labelled("alpha", { team: "a" }, [getPods]),
      labelled("other", { team: "b" }, [watchJobs]),
      clusterRole("unlabelled", [watchJobs]),
    ];
    expect(aggregatedRules(target, roles)).toEqual([getPods, listNodes]);
  });

  test("never takes the role's own rules, even when it matches itself", () => {
    const target = {
      ...aggregating("target", [{ matchLabels: { team: "a" } }], [watchJobs]),
      metadata: { name: "target", labels: { team: "a" } },
    };
    expect(aggregatedRules(target, [target, labelled("x", { team: "a" }, [getPods])])).toEqual([
      getPods,
    ]);
  });

  test("takes selectors in order, each one's roles by name", () => {
    const target = aggregating("target", [
      { matchLabels: { second: "true" } },
      { matchExpressions: [{ key: "first", operator: "Exists" }] },
    ]);
    const roles = [
      labelled("a", { first: "x" }, [getPods]),
      labelled("b", { second: "true" }, [listNodes]),
    ];
    expect(aggregatedRules(target, roles)).toEqual([listNodes, getPods]);
  });

  test("skips a selector that cannot be parsed", () => {
    const target = aggregating("target", [
      { matchExpressions: [{ key: "a", operator: "Bogus" }] },
      { matchLabels: { a: "b" } },
    ]);
    expect(aggregatedRules(target, [labelled("x", { a: "b" }, [getPods])])).toEqual([getPods]);
  });

  test("treats a rule with empty lists as the same rule without them", () => {
    const target = aggregating("target", [{ matchLabels: { a: "b" } }]);
    const roles = [
      labelled("x", { a: "b" }, [getPods]),
      labelled("y", { a: "b" }, [{ ...getPods, resourceNames: [] }]),
    ];
    expect(aggregatedRules(target, roles)).toEqual([getPods]);
  });
});

describe("aggregation of the default roles", () => {
  /** What the aggregation controller converges to: view first, then edit (which includes view), then admin. */
  function converged(): Map<string, KubeObject> {
    const roles = new Map(defaultClusterRoles().map((r) => [r.metadata?.name ?? "", r]));
    for (const name of ["view", "edit", "admin"]) {
      const target = roles.get(name) as KubeObject;
      target.rules = aggregatedRules(target, [...roles.values()]);
    }
    return roles;
  }

  const allows = (
    roleObject: KubeObject | undefined,
    overrides: Parameters<typeof resourceAttributes>[1],
  ) =>
    rulesAllow(
      resourceAttributes(userInfo("u"), { namespace: "ns1", ...overrides }),
      (roleObject?.rules ?? []) as PolicyRule[],
    );

  test("view reads pods and deployments but not secrets, and writes nothing", () => {
    const view = converged().get("view");
    expect(allows(view, { verb: "get", resource: "pods" })).toBe(true);
    expect(allows(view, { verb: "get", resource: "pods", subresource: "log" })).toBe(true);
    expect(allows(view, { verb: "list", apiGroup: "apps", resource: "deployments" })).toBe(true);
    expect(allows(view, { verb: "get", resource: "namespaces" })).toBe(true);
    expect(allows(view, { verb: "get", resource: "secrets" })).toBe(false);
    expect(allows(view, { verb: "create", resource: "pods" })).toBe(false);
    expect(allows(view, { verb: "get", resource: "pods", subresource: "exec" })).toBe(false);
  });

  test("edit includes view and the user-level writes", () => {
    const edit = converged().get("edit");
    expect(allows(edit, { verb: "create", apiGroup: "apps", resource: "deployments" })).toBe(true);
    expect(allows(edit, { verb: "get", resource: "pods" })).toBe(true);
    expect(allows(edit, { verb: "get", resource: "secrets" })).toBe(true);
    expect(allows(edit, { verb: "create", resource: "pods", subresource: "exec" })).toBe(true);
    expect(
      allows(edit, { verb: "create", resource: "serviceaccounts", subresource: "token" }),
    ).toBe(true);
    expect(
      allows(edit, { verb: "create", apiGroup: "rbac.authorization.k8s.io", resource: "roles" }),
    ).toBe(false);
    expect(allows(edit, { verb: "update", resource: "resourcequotas" })).toBe(false);
  });

  test("admin includes edit and manages roles and bindings", () => {
    const admin = converged().get("admin");
    expect(allows(admin, { verb: "create", apiGroup: "apps", resource: "deployments" })).toBe(true);
    expect(
      allows(admin, {
        verb: "create",
        apiGroup: "rbac.authorization.k8s.io",
        resource: "rolebindings",
      }),
    ).toBe(true);
    expect(
      allows(admin, {
        verb: "create",
        apiGroup: "authorization.k8s.io",
        resource: "localsubjectaccessreviews",
      }),
    ).toBe(true);
    expect(allows(admin, { verb: "delete", resource: "namespaces" })).toBe(false);
  });

  test("a second pass changes nothing", () => {
    const roles = converged();
    for (const name of ["view", "edit", "admin"]) {
      const target = roles.get(name) as KubeObject;
      const again = aggregatedRules(target, [...roles.values()]) as PolicyRule[];
      expect(rulesEqual(again, target.rules as PolicyRule[])).toBe(true);
    }
  });
});

describe("rulesEqual", () => {
  test.each<[string, PolicyRule[], PolicyRule[], boolean]>([
    ["identical lists", [getPods, listNodes], [getPods, listNodes], true],
    ["empty lists", [], [], true],
    ["a missing list and an empty one", [getPods], [{ ...getPods, resourceNames: [] }], true],
    ["the same rules in another order", [getPods, listNodes], [listNodes, getPods], false],
    ["different lengths", [getPods], [getPods, getPods], false],
    ["different verbs", [getPods], [{ ...getPods, verbs: ["list"] }], false],
    ["different names", [getPods], [{ ...getPods, resourceNames: ["x"] }], false],
    [
      "verbs in another order",
      [{ ...getPods, verbs: ["get", "list"] }],
      [{ ...getPods, verbs: ["list", "get"] }],
      false,
    ],
  ])("%s", (_, a, b, equal) => {
    expect(rulesEqual(a, b)).toBe(equal);
  });
});

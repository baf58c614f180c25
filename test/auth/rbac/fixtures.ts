/** Small builders for RBAC unit tests: an in-memory ObjectReader and object shorthands. */
import type { PolicyRule } from "../../../src/auth/rbac/policy-rule.ts";
import type { Subject } from "../../../src/auth/rbac/rbac-authorizer.ts";
import type { Attributes, ObjectReader, ResourceRef, UserInfo } from "../../../src/auth/types.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";

const resourceOfKind: Record<string, string> = {
  Role: "roles",
  ClusterRole: "clusterroles",
  RoleBinding: "rolebindings",
  ClusterRoleBinding: "clusterrolebindings",
};

/**
 * An ObjectReader over a fixed list of RBAC objects (their kind picks the resource). Like
 * a cache keyed by namespace, it lists every namespace for "" as for no namespace, so
 * code under test must not list with "" when it means none.
 */
export function memoryReader(objects: readonly KubeObject[]): ObjectReader {
  const of = (ref: ResourceRef) =>
    objects.filter(
      (object) =>
        ref.group === "rbac.authorization.k8s.io" &&
        resourceOfKind[object.kind ?? ""] === ref.resource,
    );
  return {
    get: (ref, namespace, name) =>
      of(ref).find(
        (object) =>
          (object.metadata?.namespace ?? "") === namespace && object.metadata?.name === name,
      ),
    list: (ref, namespace) =>
      of(ref).filter((object) => !namespace || object.metadata?.namespace === namespace),
  };
}

const apiVersion = "rbac.authorization.k8s.io/v1";

export function clusterRole(
  name: string,
  rules: PolicyRule[],
  extra: Partial<KubeObject> = {},
): KubeObject {
  return { apiVersion, kind: "ClusterRole", metadata: { name }, rules, ...extra };
}

export function role(namespace: string, name: string, rules: PolicyRule[]): KubeObject {
  return { apiVersion, kind: "Role", metadata: { name, namespace }, rules };
}

export function clusterRoleBinding(
  name: string,
  roleName: string,
  subjects: Subject[],
): KubeObject {
  return {
    apiVersion,
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    subjects,
  };
}

export function roleBinding(
  namespace: string,
  name: string,
  roleRef: { kind: "Role" | "ClusterRole"; name: string },
  subjects: Subject[],
): KubeObject {
  return {
    apiVersion,
    kind: "RoleBinding",
    metadata: { name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
    subjects,
  };
}

export const userSubject = (name: string): Subject => ({
  kind: "User",
  apiGroup: "rbac.authorization.k8s.io",
  name,
});
export const groupSubject = (name: string): Subject => ({
  kind: "Group",
  apiGroup: "rbac.authorization.k8s.io",
  name,
});
export const serviceAccountSubject = (name: string, namespace?: string): Subject => ({
  kind: "ServiceAccount",
  name,
  ...(namespace === undefined ? {} : { namespace }),
});

export function userInfo(user: string, groups: string[] = ["system:authenticated"]): UserInfo {
  return { user, groups };
}

/** A resource request; override any field. */
export function resourceAttributes(user: UserInfo, overrides: Partial<Attributes>): Attributes {
  return {
    user,
    verb: "get",
    resourceRequest: true,
    path: "",
    apiGroup: "",
    apiVersion: "v1",
    resource: "pods",
    subresource: "",
    namespace: "",
    name: "",
    ...overrides,
  };
}

export function nonResourceAttributes(user: UserInfo, verb: string, path: string): Attributes {
  return {
    user,
    verb,
    resourceRequest: false,
    path,
    apiGroup: "",
    apiVersion: "",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
  };
}

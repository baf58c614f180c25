/** Builders and names shared by the default RBAC policy files. */
import type { KubeObject } from "../../resources/kind.ts";
import { type PolicyRule, RBAC_GROUP } from "./policy-rule.ts";
import type { Subject } from "./rbac-authorizer.ts";

export const BOOTSTRAP_LABEL = "kubernetes.io/bootstrapping";
export const AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate";
export const AGGREGATE_TO_ADMIN = "rbac.authorization.k8s.io/aggregate-to-admin";
export const AGGREGATE_TO_EDIT = "rbac.authorization.k8s.io/aggregate-to-edit";
export const AGGREGATE_TO_VIEW = "rbac.authorization.k8s.io/aggregate-to-view";

const API_VERSION = `${RBAC_GROUP}/v1`;
export const CONTROLLER_PREFIX = "system:controller:";
export const KUBE_SYSTEM = "kube-system";
export const KUBE_PUBLIC = "kube-public";

export const read: readonly string[] = ["get", "list", "watch"];
export const write: readonly string[] = ["create", "update", "patch", "delete", "deletecollection"];
export const readWrite: readonly string[] = [...read, ...write];
export const readUpdate: readonly string[] = ["get", "list", "watch", "update", "patch"];

export const core = "";
export const apps = "apps";
export const authentication = "authentication.k8s.io";
export const authorization = "authorization.k8s.io";
export const autoscaling = "autoscaling";
export const batch = "batch";
export const certificates = "certificates.k8s.io";
export const coordination = "coordination.k8s.io";
export const discovery = "discovery.k8s.io";
export const events = "events.k8s.io";
export const extensions = "extensions";
export const networking = "networking.k8s.io";
export const nodeGroup = "node.k8s.io";
export const policy = "policy";
export const storage = "storage.k8s.io";

export const signers = {
  kubeAPIServerClient: "kubernetes.io/kube-apiserver-client",
  kubeAPIServerClientKubelet: "kubernetes.io/kube-apiserver-client-kubelet",
  kubeletServing: "kubernetes.io/kubelet-serving",
  legacyUnknown: "kubernetes.io/legacy-unknown",
};

/** A resource rule; lists are sorted, as upstream's rule builder does. */
export function rule(
  verbs: readonly string[],
  apiGroups: readonly string[],
  resources: readonly string[],
  resourceNames: readonly string[] = [],
): PolicyRule {
  const result: PolicyRule = {
    verbs: sorted(verbs),
    apiGroups: sorted(apiGroups),
    resources: sorted(resources),
  };
  if (resourceNames.length > 0) result.resourceNames = sorted(resourceNames);
  return result;
}

export function urlRule(verbs: readonly string[], urls: readonly string[]): PolicyRule {
  return { verbs: sorted(verbs), nonResourceURLs: sorted(urls) };
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

export function eventsRule(): PolicyRule {
  return rule(["create", "update", "patch"], [core, events], ["events"]);
}

function defaultMetadata(name: string, labels: Record<string, string> = {}, namespace?: string) {
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    labels: { ...labels, [BOOTSTRAP_LABEL]: "rbac-defaults" },
    annotations: { [AUTOUPDATE_ANNOTATION]: "true" },
  };
}

interface RoleOptions {
  labels?: Record<string, string>;
  /** Label selectors (matchLabels) of the ClusterRoles to aggregate. */
  aggregateFrom?: string[];
}

export function clusterRole(
  name: string,
  rules: PolicyRule[],
  options: RoleOptions = {},
): KubeObject {
  const role: KubeObject = {
    apiVersion: API_VERSION,
    kind: "ClusterRole",
    metadata: defaultMetadata(name, options.labels),
    rules,
  };
  if (options.aggregateFrom) {
    role.aggregationRule = {
      clusterRoleSelectors: options.aggregateFrom.map((label) => ({
        matchLabels: { [label]: "true" },
      })),
    };
  }
  return role;
}

export function aggregatedRole(
  name: string,
  from: string,
  labels?: Record<string, string>,
): KubeObject {
  return clusterRole(name, [], { aggregateFrom: [from], ...(labels ? { labels } : {}) });
}

export const group = (name: string): Subject => ({ kind: "Group", apiGroup: RBAC_GROUP, name });
export const user = (name: string): Subject => ({ kind: "User", apiGroup: RBAC_GROUP, name });
export const serviceAccount = (namespace: string, name: string): Subject => ({
  kind: "ServiceAccount",
  name,
  namespace,
});

export function clusterRoleBinding(
  name: string,
  roleName: string,
  subjects: Subject[],
): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "ClusterRoleBinding",
    metadata: defaultMetadata(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: roleName },
    subjects,
  };
}

export function role(namespace: string, name: string, rules: PolicyRule[]): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "Role",
    metadata: defaultMetadata(name, {}, namespace),
    rules,
  };
}

export function roleBinding(
  namespace: string,
  name: string,
  roleName: string,
  subjects: Subject[],
): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "RoleBinding",
    metadata: defaultMetadata(name, {}, namespace),
    roleRef: { apiGroup: RBAC_GROUP, kind: "Role", name: roleName },
    subjects,
  };
}

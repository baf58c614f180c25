/**
 * The RBAC authorizer (upstream plugin/pkg/auth/authorizer/rbac and the rule resolver of
 * pkg/registry/rbac/validation): a user's rules are those of every ClusterRoleBinding
 * naming them, plus, for a namespaced request, those of the RoleBindings of that
 * namespace. RBAC only ever allows: otherwise it has no opinion, and the next authorizer
 * (or the final deny) decides.
 */

import type { KubeObject } from "../../resources/kind.ts";
import {
  type JsonRecord,
  recordList,
  recordOf,
  stringOf,
} from "../../resources/kinds/core/json-value.ts";
import { goQuote } from "../../resources/validation/go-quote.ts";
import type {
  Attributes,
  Authorizer,
  Decision,
  ObjectReader,
  ResourceRef,
  UserInfo,
} from "../types.ts";
import { type PolicyRule, RBAC_GROUP, rulesOf } from "./policy-rule.ts";
import { ruleAllows } from "./rule-matching.ts";

export const rolesRef: ResourceRef = { group: RBAC_GROUP, resource: "roles" };
export const clusterRolesRef: ResourceRef = { group: RBAC_GROUP, resource: "clusterroles" };
export const roleBindingsRef: ResourceRef = { group: RBAC_GROUP, resource: "rolebindings" };
export const clusterRoleBindingsRef: ResourceRef = {
  group: RBAC_GROUP,
  resource: "clusterrolebindings",
};

/** Who a binding grants its role to (rbac/v1 Subject). */
export interface Subject {
  kind: string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

/** A binding's role (rbac/v1 RoleRef). */
export interface RoleRef {
  apiGroup?: string;
  kind: string;
  name: string;
}

/** authorization.k8s.io/v1 ResourceRule. */
export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/** authorization.k8s.io/v1 NonResourceRule. */
export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs?: string[];
}

/** authorization.k8s.io/v1 SubjectRulesReviewStatus. */
export interface SubjectRulesReviewStatus {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  evaluationError: string;
}

/** One rule that applies, with the binding it came from, or a binding whose role could not be resolved. */
export type RuleVisit = { rule: PolicyRule; source: string } | { error: string };

export class RbacAuthorizer implements Authorizer {
  constructor(private readonly reader: ObjectReader) {}

  authorize(attributes: Attributes): Decision {
    for (const visit of visitRulesFor(this.reader, attributes.user, attributes.namespace)) {
      if ("rule" in visit && ruleAllows(attributes, visit.rule)) {
        return { decision: "allow", reason: `RBAC: allowed by ${visit.source}` };
      }
    }
    return { decision: "no-opinion", reason: "" };
  }
}

/**
 * Every rule that applies to `user` in `namespace` ("" for cluster-wide), lazily, so that
 * the authorizer stops at the first that allows. Cluster bindings come first, then the
 * namespace's RoleBindings. A binding whose role is missing yields an error and is skipped.
 */
export function* visitRulesFor(
  reader: ObjectReader,
  user: UserInfo,
  namespace: string,
): Generator<RuleVisit> {
  for (const binding of reader.list(clusterRoleBindingsRef)) {
    yield* visitBinding(reader, user, binding, "");
  }
  if (namespace === "") return;
  for (const binding of reader.list(roleBindingsRef, namespace)) {
    yield* visitBinding(reader, user, binding, namespace);
  }
}

function* visitBinding(
  reader: ObjectReader,
  user: UserInfo,
  binding: KubeObject,
  namespace: string,
): Generator<RuleVisit> {
  const subjects = subjectsOf(binding);
  const index = appliesTo(user, subjects, namespace);
  if (index < 0) return;
  const roleRef = roleRefOf(binding);
  const resolved = roleReferenceRules(reader, roleRef, namespace);
  if (typeof resolved === "string") {
    yield { error: resolved };
    return;
  }
  const source = describeBinding(binding, roleRef, subjects[index] as Subject, namespace);
  for (const rule of resolved) yield { rule, source };
}

/**
 * The rules of the role a binding references (`bindingNamespace` is "" for a
 * ClusterRoleBinding), or the reason they cannot be had, shaped like upstream's lister errors.
 */
export function roleReferenceRules(
  reader: ObjectReader,
  roleRef: RoleRef,
  bindingNamespace: string,
): PolicyRule[] | string {
  switch (roleRef.kind) {
    case "Role": {
      const role =
        bindingNamespace === "" ? undefined : reader.get(rolesRef, bindingNamespace, roleRef.name);
      return role ? rulesOf(role) : notFoundMessage("role", roleRef.name);
    }
    case "ClusterRole": {
      const role = reader.get(clusterRolesRef, "", roleRef.name);
      return role ? rulesOf(role) : notFoundMessage("clusterrole", roleRef.name);
    }
    default:
      return `unsupported role reference kind: ${goQuote(roleRef.kind)}`;
  }
}

function notFoundMessage(resource: string, name: string): string {
  return `${resource}.${RBAC_GROUP} ${goQuote(name)} not found`;
}

/** The index of the first subject that is `user`, or -1. */
export function appliesTo(user: UserInfo, subjects: readonly Subject[], namespace: string): number {
  return subjects.findIndex((subject) => subjectMatches(user, subject, namespace));
}

function subjectMatches(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return user.user === subject.name;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount": {
      // A RoleBinding's service accounts default to the binding's own namespace.
      const saNamespace = subject.namespace || namespace;
      if (saNamespace === "") return false;
      return user.user === serviceAccountUserName(saNamespace, subject.name);
    }
    default:
      return false;
  }
}

export function serviceAccountUserName(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export function subjectsOf(binding: KubeObject): Subject[] {
  return recordList(binding.subjects).map((subject: JsonRecord) => ({
    kind: stringOf(subject.kind),
    apiGroup: stringOf(subject.apiGroup),
    name: stringOf(subject.name),
    namespace: stringOf(subject.namespace),
  }));
}

export function roleRefOf(binding: KubeObject): RoleRef {
  const roleRef = recordOf(binding.roleRef) ?? {};
  return {
    apiGroup: stringOf(roleRef.apiGroup),
    kind: stringOf(roleRef.kind),
    name: stringOf(roleRef.name),
  };
}

/** Upstream's source text: `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`. */
function describeBinding(
  binding: KubeObject,
  roleRef: RoleRef,
  subject: Subject,
  namespace: string,
): string {
  const name = binding.metadata?.name ?? "";
  const role = `${roleRef.kind} ${goQuote(roleRef.name)}`;
  const to = describeSubject(subject, namespace);
  if (namespace === "") return `ClusterRoleBinding ${goQuote(name)} of ${role} to ${to}`;
  return `RoleBinding ${goQuote(`${name}/${namespace}`)} of ${role} to ${to}`;
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind !== "ServiceAccount") return `${subject.kind} ${goQuote(subject.name)}`;
  const namespace = subject.namespace || bindingNamespace;
  return `${subject.kind} ${goQuote(`${subject.name}/${namespace}`)}`;
}

/** The rules that apply and the errors met resolving them. */
export function resolveRules(
  reader: ObjectReader,
  user: UserInfo,
  namespace: string,
): { rules: PolicyRule[]; errors: string[] } {
  const rules: PolicyRule[] = [];
  const errors: string[] = [];
  for (const visit of visitRulesFor(reader, user, namespace)) {
    if ("rule" in visit) rules.push(visit.rule);
    else errors.push(visit.error);
  }
  return { rules, errors };
}

/** Every rule that applies to `user` in `namespace`: cluster-wide ones plus the namespace's. */
export function policyRulesFor(
  reader: ObjectReader,
  user: UserInfo,
  namespace: string,
): PolicyRule[] {
  return resolveRules(reader, user, namespace).rules;
}

/** What a SelfSubjectRulesReview reports for `user` in `namespace`. */
export function rulesFor(
  reader: ObjectReader,
  user: UserInfo,
  namespace: string,
): SubjectRulesReviewStatus {
  const { rules, errors } = resolveRules(reader, user, namespace);
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  for (const rule of rules) {
    // A rule with both parts (invalid, but stored before validation existed) counts twice, as upstream.
    if (rule.resources) resourceRules.push(resourceRuleOf(rule));
    if (rule.nonResourceURLs) {
      nonResourceRules.push({ verbs: [...rule.verbs], nonResourceURLs: [...rule.nonResourceURLs] });
    }
  }
  // RBAC's answer is complete even when a role is missing: rules only ever add.
  return { resourceRules, nonResourceRules, incomplete: false, evaluationError: aggregate(errors) };
}

function resourceRuleOf(rule: PolicyRule): ResourceRule {
  const result: ResourceRule = { verbs: [...rule.verbs] };
  if (rule.apiGroups) result.apiGroups = [...rule.apiGroups];
  if (rule.resources) result.resources = [...rule.resources];
  if (rule.resourceNames) result.resourceNames = [...rule.resourceNames];
  return result;
}

/** Upstream's error aggregate text: one message alone, several as `[a, b]`, duplicates dropped. */
export function aggregate(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 0) return "";
  if (unique.length === 1) return unique[0] as string;
  return `[${unique.join(", ")}]`;
}

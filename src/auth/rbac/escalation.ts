/**
 * Privilege-escalation prevention for RBAC writes (upstream pkg/registry/rbac: the
 * policybased storages, escalation_check.go and validation/policy_comparator.go): a user
 * may only create or change a role whose permissions they already hold, and only bind a
 * role whose permissions they already hold, unless they are explicitly allowed the
 * `escalate` (roles) or `bind` (bindings) verb, or are in system:masters.
 */
import { isDeepStrictEqual } from "node:util";
import type { AdmissionPlugin, AdmissionRequest } from "../../api/admission/admission.ts";
import { badRequest, forbidden, notFound } from "../../api/errors/status-error.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { isRecord, recordList } from "../../resources/kinds/core/json-value.ts";
import { goQuote } from "../../resources/validation/go-quote.ts";
import type { Attributes, Authorizer, ObjectReader, UserInfo } from "../types.ts";
import {
  ALL,
  compactString,
  goQuoteList,
  type PolicyRule,
  RBAC_GROUP,
  rulesOf,
} from "./policy-rule.ts";
import {
  aggregate,
  type RoleRef,
  resolveRules,
  roleReferenceRules,
  roleRefOf,
} from "./rbac-authorizer.ts";

/** The group whose members the API server trusts with everything (its own loopback client too). */
export const SYSTEM_MASTERS = "system:masters";

export interface CoverResult {
  covers: boolean;
  /** The servant's permissions, broken into single verb/group/resource/name tuples, that no owner rule grants. */
  uncovered: PolicyRule[];
}

/**
 * Whether `ownerRules` grant everything `servantRules` do. Each servant rule is broken
 * into tuples of one verb, group, resource and name (or one verb and URL), each of which
 * is then either wholly granted by a single owner rule or not at all.
 */
export function covers(
  ownerRules: readonly PolicyRule[],
  servantRules: readonly PolicyRule[],
): CoverResult {
  const uncovered = servantRules
    .flatMap(breakdownRule)
    .filter((subrule) => !ownerRules.some((owner) => ruleCovers(owner, subrule)));
  return { covers: uncovered.length === 0, uncovered };
}

/** An equivalent list of rules each with at most one verb, group, resource, name or URL. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const subrules: PolicyRule[] = [];
  const names = rule.resourceNames ?? [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const base = { apiGroups: [group], resources: [resource], verbs: [verb] };
        if (names.length === 0) subrules.push(base);
        for (const name of names) subrules.push({ ...base, resourceNames: [name] });
      }
    }
  }
  // Non-resource URLs only combine with verbs.
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs) subrules.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return subrules;
}

/** Whether one owner rule grants all of a broken-down subrule. */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  // An owner limited to names never covers a sub-rule for any name.
  const namesMatch =
    ownerNames.length === 0 || (subNames.length > 0 && hasAll(ownerNames, subNames));
  return (
    (owner.verbs.includes(ALL) || hasAll(owner.verbs, sub.verbs)) &&
    (has(owner.apiGroups, ALL) || hasAll(owner.apiGroups ?? [], sub.apiGroups ?? [])) &&
    resourcesCoverAll(owner.resources ?? [], sub.resources ?? []) &&
    namesMatch &&
    nonResourceURLsCoverAll(owner.nonResourceURLs ?? [], sub.nonResourceURLs ?? [])
  );
}

function has(set: readonly string[] | undefined, item: string): boolean {
  return (set ?? []).includes(item);
}

function hasAll(set: readonly string[], items: readonly string[]): boolean {
  return items.every((item) => set.includes(item));
}

/** "*" covers every resource, "*\/scale" every scale subresource. */
function resourcesCoverAll(owned: readonly string[], wanted: readonly string[]): boolean {
  if (owned.includes(ALL)) return true;
  return wanted.every((resource) => {
    if (owned.includes(resource)) return true;
    const slash = resource.indexOf("/");
    return slash >= 0 && owned.includes(`*/${resource.slice(slash + 1)}`);
  });
}

function nonResourceURLsCoverAll(owned: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((path) => owned.some((owner) => nonResourceURLCovers(owner, path)));
}

function nonResourceURLCovers(owner: string, path: string): boolean {
  if (owner === path) return true;
  return owner.endsWith("*") && path.startsWith(owner.replace(/\*+$/, ""));
}

/**
 * Upstream's CompactRules: rules that name one group and one resource and nothing but
 * verbs are merged per group/resource, so a missing-permission list reads
 * `Verbs:["get" "list"]` instead of one line per verb.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const key = simpleResourceKey(rule);
    if (key === undefined) {
      compacted.push(rule);
      continue;
    }
    const existing = simple.get(key);
    if (existing) existing.verbs.push(...rule.verbs);
    else simple.set(key, { ...rule, verbs: [...rule.verbs] });
  }
  return [...compacted, ...simple.values()];
}

function simpleResourceKey(rule: PolicyRule): string | undefined {
  if ((rule.resourceNames ?? []).length > 0 || (rule.nonResourceURLs ?? []).length > 0) {
    return undefined;
  }
  const [group, ...moreGroups] = rule.apiGroups ?? [];
  const [resource, ...moreResources] = rule.resources ?? [];
  if (group === undefined || resource === undefined) return undefined;
  if (moreGroups.length > 0 || moreResources.length > 0) return undefined;
  return JSON.stringify([group, resource]);
}

/**
 * Upstream's ConfirmNoEscalation: undefined when `user`'s rules in `namespace` cover
 * `rules`, otherwise the reason (without the `… is forbidden:` prefix).
 */
export function escalationError(
  reader: ObjectReader,
  user: UserInfo,
  namespace: string,
  rules: readonly PolicyRule[],
): string | undefined {
  const owner = resolveRules(reader, user, namespace);
  const result = covers(owner.rules, rules);
  if (result.covers) return undefined;
  // Sorted and unique, like upstream's string set.
  const missing = [...new Set(compactRules(result.uncovered).map(compactString))].sort();
  let message =
    `user ${goQuote(user.user)} (groups=${goQuoteList(user.groups)}) is attempting to grant ` +
    `RBAC permissions not currently held:\n${missing.join("\n")}`;
  if (owner.errors.length > 0) message += `; resolution errors: [${aggregate(owner.errors)}]`;
  return message;
}

/** What an aggregationRule may gather: anything, so setting one takes cluster-admin's powers. */
const fullAuthority: PolicyRule[] = [
  { verbs: [ALL], apiGroups: [ALL], resources: [ALL] },
  { verbs: [ALL], nonResourceURLs: [ALL] },
];

const roleResources = new Set(["roles", "clusterroles"]);
const bindingResources = new Set(["rolebindings", "clusterrolebindings"]);

/**
 * Admission plugin running the escalation checks on CREATE and UPDATE of the four RBAC
 * kinds, after validation (so the object is well-formed).
 *
 * A ClusterRole with an aggregationRule has its rules written by the aggregation
 * controller, and the rule can gather any permission. As upstream, setting or changing
 * one (or changing a role that had one) is allowed only with the `escalate` verb on
 * clusterroles, or when the user's own rules cover everything (`*` on all resources and
 * URLs, i.e. cluster-admin); the aggregation controller's role has `escalate`.
 */
export class RbacEscalationCheck implements AdmissionPlugin {
  readonly name = "RBACEscalationCheck";

  constructor(
    private readonly reader: ObjectReader,
    private readonly authorizer: Authorizer,
  ) {}

  async validate(request: AdmissionRequest): Promise<void> {
    if (!appliesToRequest(request)) return;
    const user: UserInfo = { user: request.context.user, groups: request.context.groups };
    if (user.groups.includes(SYSTEM_MASTERS)) return;
    if (roleResources.has(request.kind.resource)) this.checkRole(request, user);
    else this.checkBinding(request, user);
  }

  private checkRole(request: AdmissionRequest, user: UserInfo): void {
    const { object, oldObject } = request;
    const name = object.metadata?.name ?? "";
    const namespace = namespaceOf(request);
    const resource = request.kind.resource;
    if (this.allowed(user, "escalate", resource, namespace, name)) return;
    if (oldObject && onlyGarbageCollectorFields(object, oldObject)) return;
    const subject = { group: RBAC_GROUP, resource, name };
    const error = escalationError(this.reader, user, namespace, rulesOf(object));
    if (error !== undefined) throw forbidden(subject, error);
    const aggregating = hasAggregationRule(object) || (oldObject && hasAggregationRule(oldObject));
    if (!aggregating) return;
    if (escalationError(this.reader, user, namespace, fullAuthority) !== undefined) {
      throw forbidden(subject, "must have cluster-admin privileges to use the aggregationRule");
    }
  }

  private checkBinding(request: AdmissionRequest, user: UserInfo): void {
    const { object, oldObject } = request;
    if (oldObject && onlyGarbageCollectorFields(object, oldObject)) return;
    const namespace = namespaceOf(request);
    const roleRef = roleRefOf(object);
    if (this.bindAllowed(user, roleRef, namespace)) return;
    const rules = roleReferenceRules(this.reader, roleRef, namespace);
    if (typeof rules === "string") throw roleReferenceError(roleRef, rules);
    const name = object.metadata?.name ?? "";
    const error = escalationError(this.reader, user, namespace, rules);
    if (error !== undefined) {
      throw forbidden({ group: RBAC_GROUP, resource: request.kind.resource, name }, error);
    }
  }

  /** Upstream's BindingAuthorized: `bind` on the role, in the binding's namespace. */
  private bindAllowed(user: UserInfo, roleRef: RoleRef, namespace: string): boolean {
    const resource =
      roleRef.kind === "ClusterRole" ? "clusterroles" : roleRef.kind === "Role" ? "roles" : "";
    if (resource === "") return false;
    return this.allowed(user, "bind", resource, namespace, roleRef.name, roleRef.apiGroup);
  }

  private allowed(
    user: UserInfo,
    verb: string,
    resource: string,
    namespace: string,
    name: string,
    apiGroup = RBAC_GROUP,
  ): boolean {
    const attributes: Attributes = {
      user,
      verb,
      resourceRequest: true,
      path: "",
      apiGroup: apiGroup || RBAC_GROUP,
      apiVersion: "*",
      resource,
      subresource: "",
      namespace,
      name,
    };
    return this.authorizer.authorize(attributes).decision === "allow";
  }
}

function appliesToRequest(request: AdmissionRequest): boolean {
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return false;
  if (request.kind.group !== RBAC_GROUP || request.subresource !== "") return false;
  return roleResources.has(request.kind.resource) || bindingResources.has(request.kind.resource);
}

/** The namespace whose rules count: the object's for Roles and RoleBindings, none otherwise. */
function namespaceOf(request: AdmissionRequest): string {
  if (!request.kind.namespaced) return "";
  return request.context.namespace || request.object.metadata?.namespace || "";
}

function hasAggregationRule(role: KubeObject): boolean {
  const rule = role.aggregationRule;
  return isRecord(rule) && recordList(rule.clusterRoleSelectors).length > 0;
}

/** A missing role is a 404, as upstream's registry-backed resolver answers. */
function roleReferenceError(roleRef: RoleRef, message: string): Error {
  if (roleRef.kind === "Role")
    return notFound({ group: RBAC_GROUP, resource: "roles", name: roleRef.name });
  if (roleRef.kind === "ClusterRole") {
    return notFound({ group: RBAC_GROUP, resource: "clusterroles", name: roleRef.name });
  }
  return badRequest(message);
}

/**
 * Upstream's IsOnlyMutatingGCFields: an update that only touches owner references and
 * finalizers (as the garbage collector does) grants nothing, so it needs no check. Fields
 * the server maintains on every write are ignored too.
 */
function onlyGarbageCollectorFields(object: KubeObject, old: KubeObject): boolean {
  return isDeepStrictEqual(
    withoutGarbageCollectorFields(object),
    withoutGarbageCollectorFields(old),
  );
}

function withoutGarbageCollectorFields(object: KubeObject): KubeObject {
  const {
    ownerReferences: _owners,
    finalizers: _finalizers,
    selfLink: _selfLink,
    resourceVersion: _version,
    managedFields: _managed,
    ...metadata
  } = object.metadata ?? {};
  return { ...object, metadata };
}

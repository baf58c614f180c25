/**
 * The rbac.authorization.k8s.io/v1 PolicyRule as plain JSON, its reading from stored
 * objects, and upstream's compact rendering for escalation messages.
 */
import type { KubeObject } from "../../resources/kind.ts";
import { isRecord, stringList } from "../../resources/kinds/core/json-value.ts";
import { goQuote } from "../../resources/validation/go-quote.ts";

export const RBAC_GROUP = "rbac.authorization.k8s.io";

/** The wildcard of verbs, apiGroups, resources and nonResourceURLs. */
export const ALL = "*";

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const listFields = ["apiGroups", "resources", "resourceNames", "nonResourceURLs"] as const;

/**
 * One rule in canonical shape: list fields present only when non-empty, like upstream's
 * `omitempty` JSON. Anything that is not a list of strings reads as absent.
 */
export function normalizeRule(value: unknown): PolicyRule {
  const source = isRecord(value) ? value : {};
  const rule: PolicyRule = { verbs: stringList(source.verbs) };
  for (const field of listFields) {
    const items = stringList(source[field]);
    if (items.length > 0) rule[field] = items;
  }
  return rule;
}

/** The rules of a Role or ClusterRole object (its `rules` field), normalized. */
export function rulesOf(object: KubeObject | undefined): PolicyRule[] {
  const rules = object?.rules;
  return Array.isArray(rules) ? rules.map(normalizeRule) : [];
}

/** Go's `%q` of a string slice: `["a" "b"]`. */
export function goQuoteList(values: readonly string[]): string {
  return `[${values.map(goQuote).join(" ")}]`;
}

/**
 * Upstream's CompactString, used in escalation errors:
 * `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
 */
export function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  const add = (label: string, values: readonly string[] | undefined) => {
    if (values && values.length > 0) parts.push(`${label}:${goQuoteList(values)}`);
  };
  add("APIGroups", rule.apiGroups);
  add("Resources", rule.resources);
  add("NonResourceURLs", rule.nonResourceURLs);
  add("ResourceNames", rule.resourceNames);
  add("Verbs", rule.verbs);
  return `{${parts.join(", ")}}`;
}

/** Semantic equality of two rules: a missing list equals an empty one, order matters. */
export function ruleEqual(a: PolicyRule, b: PolicyRule): boolean {
  const left = normalizeRule(a);
  const right = normalizeRule(b);
  if (!listEqual(left.verbs, right.verbs)) return false;
  return listFields.every((field) => listEqual(left[field] ?? [], right[field] ?? []));
}

function listEqual(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

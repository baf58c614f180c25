/**
 * Whether one PolicyRule allows a request, with upstream's semantics
 * (pkg/apis/rbac/v1 evaluation helpers, RBAC authorizer's RuleAllows).
 */
import type { Attributes } from "../types.ts";
import { ALL, type PolicyRule } from "./policy-rule.ts";

export type { PolicyRule } from "./policy-rule.ts";

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((ruleVerb) => ruleVerb === ALL || ruleVerb === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((ruleGroup) => ruleGroup === ALL || ruleGroup === group);
}

/**
 * `combinedResource` is "pods" or "pods/log". Besides "*" and an exact match, a rule's
 * "*\/log" matches the log subresource of any resource. "pods/*" is not a wildcard
 * upstream: it only matches a subresource literally named "*".
 */
export function resourceMatches(
  rule: PolicyRule,
  combinedResource: string,
  subresource: string,
): boolean {
  for (const ruleResource of rule.resources ?? []) {
    if (ruleResource === ALL || ruleResource === combinedResource) return true;
    if (subresource !== "" && ruleResource === `*/${subresource}`) return true;
  }
  return false;
}

/** An empty resourceNames list allows any name (collections too); otherwise the name must be listed. */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** "*" matches every path, "/apis/*" every path starting with "/apis/", anything else exactly. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const ruleURL of rule.nonResourceURLs ?? []) {
    if (ruleURL === ALL || ruleURL === path) return true;
    if (ruleURL.endsWith("*") && path.startsWith(trimTrailingStars(ruleURL))) return true;
  }
  return false;
}

function trimTrailingStars(value: string): string {
  let end = value.length;
  while (end > 0 && value[end - 1] === "*") end--;
  return value.slice(0, end);
}

export function ruleAllows(attributes: Attributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, attributes.verb)) return false;
  if (!attributes.resourceRequest) return nonResourceURLMatches(rule, attributes.path);
  const combined = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  return (
    apiGroupMatches(rule, attributes.apiGroup) &&
    resourceMatches(rule, combined, attributes.subresource) &&
    resourceNameMatches(rule, attributes.name)
  );
}

export function rulesAllow(attributes: Attributes, rules: readonly PolicyRule[]): boolean {
  return rules.some((rule) => ruleAllows(attributes, rule));
}

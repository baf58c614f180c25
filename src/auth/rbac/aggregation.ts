/**
 * ClusterRole aggregation (upstream's clusterrole-aggregation controller), as pure
 * functions for the controller that writes the result: a ClusterRole with an
 * aggregationRule gets the rules of every other ClusterRole whose labels match one of
 * its selectors.
 */

import type { KubeObject } from "../../resources/kind.ts";
import { isRecord, recordList } from "../../resources/kinds/core/json-value.ts";
import {
  InvalidLabelSelectorError,
  type LabelSelector,
  labelSelectorAsSelector,
  type MetaV1LabelSelector,
} from "../../resources/labels/label-selector.ts";
import { type PolicyRule, ruleEqual, rulesOf } from "./policy-rule.ts";

/**
 * The rules `role` should have, or null when it has no aggregationRule (its rules are its
 * own). As upstream, selectors are taken in order and, for each, the matching roles by
 * name; each rule is kept once, at its first appearance. The role itself never
 * contributes. A selector that cannot be parsed matches nothing (validation rejects those).
 */
export function aggregatedRules(
  role: KubeObject,
  allClusterRoles: readonly KubeObject[],
): PolicyRule[] | null {
  const aggregationRule = role.aggregationRule;
  if (!isRecord(aggregationRule)) return null;
  const self = role.metadata?.name ?? "";
  const others = allClusterRoles
    .filter((candidate) => (candidate.metadata?.name ?? "") !== self)
    .sort((a, b) => compareNames(a.metadata?.name ?? "", b.metadata?.name ?? ""));
  const rules: PolicyRule[] = [];
  for (const selectorObject of recordList(aggregationRule.clusterRoleSelectors)) {
    const selector = parseSelector(selectorObject as MetaV1LabelSelector);
    if (selector === undefined) continue;
    for (const candidate of others) {
      if (!selector.matches(candidate.metadata?.labels)) continue;
      for (const rule of rulesOf(candidate)) {
        if (!rules.some((existing) => ruleEqual(existing, rule))) rules.push(rule);
      }
    }
  }
  return rules;
}

function parseSelector(selector: MetaV1LabelSelector): LabelSelector | undefined {
  try {
    return labelSelectorAsSelector(selector);
  } catch (error) {
    if (error instanceof InvalidLabelSelectorError) return undefined;
    throw error;
  }
}

/** Byte order, like Go's sort of names. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether two rule lists are the same (upstream's semantic equality: order matters, a
 * missing list equals an empty one), so the controller writes only when something changed.
 */
export function rulesEqual(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  return a.length === b.length && a.every((rule, i) => ruleEqual(rule, b[i] as PolicyRule));
}

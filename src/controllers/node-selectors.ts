/**
 * Node selection as the workload and volume controllers see it (upstream's
 * component-helpers nodeaffinity and taint helpers): nodeSelector and required node
 * affinity against a Node's labels and name, PV node affinity, and taints against
 * tolerations.
 */
import type { KubeObject } from "../resources/kind.ts";

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[] | null;
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeSelector {
  nodeSelectorTerms?: NodeSelectorTerm[];
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface SchedulingSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector };
    [other: string]: unknown;
  };
  tolerations?: Toleration[];
  hostNetwork?: boolean;
}

/** The terms are ORed; a term without requirements matches nothing. */
export function matchesNodeSelector(selector: NodeSelector | undefined, node: KubeObject): boolean {
  const labels = node.metadata?.labels ?? {};
  const fields: Record<string, string> = { "metadata.name": node.metadata?.name ?? "" };
  return (selector?.nodeSelectorTerms ?? []).some((term) => {
    const expressions = term.matchExpressions ?? [];
    const matchFields = term.matchFields ?? [];
    if (expressions.length === 0 && matchFields.length === 0) return false;
    return (
      expressions.every((r) => matchesRequirement(r, labels)) &&
      matchFields.every((r) => matchesRequirement(r, fields))
    );
  });
}

/** nodeSelector and the required node affinity of a pod spec, both. */
export function matchesPodNodeAffinity(spec: SchedulingSpec, node: KubeObject): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[key] !== value) return false;
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required === undefined || matchesNodeSelector(required, node);
}

/** One node selector requirement against labels (or fields); shared with the scheduler. */
export function matchesRequirement(
  r: NodeSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key] ?? "";
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return has && values.includes(value);
    case "NotIn":
      return !has || !values.includes(value);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || values.length !== 1 || !/^-?\d+$/.test(value)) return false;
      if (!/^-?\d+$/.test(values[0] ?? "")) return false;
      const actual = BigInt(value);
      const bound = BigInt(values[0] ?? "0");
      return r.operator === "Gt" ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/** Upstream's Toleration.ToleratesTaint (shared with the scheduler). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? "") {
    case "":
    case "Equal":
      return (toleration.value ?? "") === (taint.value ?? "");
    case "Exists":
      return true;
    default:
      return false;
  }
}

/** The first taint passing `filter` that no toleration covers. */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  filter: (taint: Taint) => boolean,
): Taint | undefined {
  return taints.find((taint) => filter(taint) && !tolerations.some((t) => tolerates(t, taint)));
}

export function nodeTaints(node: KubeObject): Taint[] {
  return ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).slice();
}

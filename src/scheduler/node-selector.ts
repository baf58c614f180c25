/**
 * Node selectors as upstream's component-helpers/scheduling/corev1/nodeaffinity: node
 * selector terms (ORed; within a term every matchExpressions and matchFields requirement
 * must hold; a term with neither matches nothing) and a pod's required node affinity
 * (its nodeSelector AND its required terms), which NodeAffinity, PodTopologySpread and
 * DaemonSet pods (matchFields metadata.name) all use.
 */
import { matchesRequirement } from "../controllers/node-selectors.ts";
import type { KubeObject } from "../resources/kind.ts";
import type { NodeSelectorTerm, PodSpec } from "./types.ts";

/** One term: every requirement holds; a term without requirements matches nothing. */
export function matchesTerm(term: NodeSelectorTerm, node: KubeObject): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const requirement of expressions) if (!matchesRequirement(requirement, labels)) return false;
  if (fields.length > 0) {
    const nodeFields = { "metadata.name": node.metadata?.name ?? "" };
    for (const requirement of fields) {
      // Only metadata.name is a valid node field (API validation rejects others).
      if (requirement.key !== "metadata.name") return false;
      if (!matchesRequirement(requirement, nodeFields)) return false;
    }
  }
  return true;
}

/** The terms are ORed. */
export function matchesTerms(terms: readonly NodeSelectorTerm[], node: KubeObject): boolean {
  for (const term of terms) if (matchesTerm(term, node)) return true;
  return false;
}

/**
 * A pod's hard node constraints, prepared once per scheduling cycle: `nodeSelector`
 * labels plus required node affinity terms.
 */
export class RequiredNodeAffinity {
  readonly #selector: [string, string][];
  readonly #terms: readonly NodeSelectorTerm[] | undefined;

  constructor(spec: PodSpec) {
    this.#selector = Object.entries(spec.nodeSelector ?? {});
    const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.#terms = required ? (required.nodeSelectorTerms ?? []) : undefined;
  }

  /** True when the pod states no hard node constraint at all. */
  get isEmpty(): boolean {
    return this.#selector.length === 0 && this.#terms === undefined;
  }

  matches(node: KubeObject): boolean {
    if (this.#selector.length > 0) {
      const labels = node.metadata?.labels ?? {};
      for (const [key, value] of this.#selector) if (labels[key] !== value) return false;
    }
    return this.#terms === undefined || matchesTerms(this.#terms, node);
  }

  /**
   * The node names the pod is limited to by `matchFields` metadata.name In (DaemonSet
   * pods), or undefined when some term is not limited that way.
   */
  nodeNames(): Set<string> | undefined {
    if (!this.#terms || this.#terms.length === 0) return undefined;
    const names: Set<string> | undefined = new Set();
    for (const term of this.#terms) {
      const termNames = namesOfTerm(term);
      if (!termNames) return undefined;
      for (const name of termNames) names.add(name);
    }
    return names;
  }
}

/** The names a term's metadata.name In requirements allow (intersected), if it has one. */
function namesOfTerm(term: NodeSelectorTerm): Set<string> | undefined {
  let names: Set<string> | undefined;
  for (const requirement of term.matchFields ?? []) {
    if (requirement.key !== "metadata.name" || requirement.operator !== "In") continue;
    const values = new Set(requirement.values ?? []);
    names = names ? new Set([...names].filter((name) => values.has(name))) : values;
  }
  return names;
}

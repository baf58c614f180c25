/**
 * InterPodAffinity: required pod affinity (some pod the terms select runs in the node's
 * topology domain), required anti-affinity (none does), and existing pods' required
 * anti-affinity against the incoming pod; preferred terms (both ways, plus existing
 * pods' required affinity at hardPodAffinityWeight) score topology domains. Counts are
 * per topology pair, computed once per cycle in PreFilter/PreScore.
 */
import { Action, type ClusterEvent, event } from "../cluster-events.ts";
import {
  type CycleState,
  type FilterPlugin,
  MAX_NODE_SCORE,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from "../framework.ts";
import type { Handle } from "../handle.ts";
import type { NodeInfo } from "../node-info.ts";
import type { AffinityTerm, PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";

export const ERR_REASON_EXISTING_ANTI_AFFINITY =
  "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

const PRE_FILTER_KEY = "PreFilterInterPodAffinity";
const PRE_SCORE_KEY = "PreScoreInterPodAffinity";

export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
}

const pairKey = (key: string, value: string) => `${key}\u0000${value}`;

class TopologyCounts extends Map<string, number> {
  bump(key: string, value: string, delta: number): void {
    const pair = pairKey(key, value);
    const count = (this.get(pair) ?? 0) + delta;
    if (count === 0) this.delete(pair);
    else this.set(pair, count);
  }

  /** Adds `delta` in each term's domain on `node` when `pod` matches the term. */
  addAntiAffinity(
    terms: readonly AffinityTerm[],
    pod: PodInfo,
    namespaceLabels: Readonly<Record<string, string>> | undefined,
    node: NodeInfo,
    delta: number,
  ): void {
    for (const term of terms) {
      const value = node.labels[term.topologyKey];
      if (value !== undefined && term.matches(pod, namespaceLabels)) {
        this.bump(term.topologyKey, value, delta);
      }
    }
  }

  /** Adds `delta` in every term's domain on `node` when `pod` matches all the terms. */
  addAffinity(terms: readonly AffinityTerm[], pod: PodInfo, node: NodeInfo, delta: number): void {
    if (!matchesAllTerms(terms, pod)) return;
    for (const term of terms) {
      const value = node.labels[term.topologyKey];
      if (value !== undefined) this.bump(term.topologyKey, value, delta);
    }
  }

  clone(): TopologyCounts {
    return new TopologyCounts(this);
  }
}

function matchesAllTerms(terms: readonly AffinityTerm[], pod: PodInfo): boolean {
  if (terms.length === 0) return false;
  for (const term of terms) if (!term.matches(pod, undefined)) return false;
  return true;
}

class PreFilterState {
  constructor(
    readonly pod: PodInfo,
    readonly affinityTerms: readonly AffinityTerm[],
    readonly antiAffinityTerms: readonly AffinityTerm[],
    readonly namespaceLabels: Readonly<Record<string, string>>,
    readonly existingAntiAffinityCounts = new TopologyCounts(),
    readonly affinityCounts = new TopologyCounts(),
    readonly antiAffinityCounts = new TopologyCounts(),
  ) {}

  updateWithPod(other: PodInfo, node: NodeInfo, delta: number): void {
    this.existingAntiAffinityCounts.addAntiAffinity(
      other.requiredAntiAffinityTerms,
      this.pod,
      this.namespaceLabels,
      node,
      delta,
    );
    this.affinityCounts.addAffinity(this.affinityTerms, other, node, delta);
    this.antiAffinityCounts.addAntiAffinity(this.antiAffinityTerms, other, undefined, node, delta);
  }

  clone(): PreFilterState {
    return new PreFilterState(
      this.pod,
      this.affinityTerms,
      this.antiAffinityTerms,
      this.namespaceLabels,
      this.existingAntiAffinityCounts.clone(),
      this.affinityCounts.clone(),
      this.antiAffinityCounts.clone(),
    );
  }
}

export class InterPodAffinity
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin
{
  readonly name = "InterPodAffinity";
  readonly #handle: Handle;
  readonly #hardPodAffinityWeight: number;

  constructor(handle: Handle, args: InterPodAffinityArgs = {}) {
    this.#handle = handle;
    this.#hardPodAffinityWeight = args.hardPodAffinityWeight ?? 1;
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event("Pod", Action.Add | Action.UpdatePodLabel | Action.Delete, "AssignedPod"),
      event("Node", Action.Add | Action.UpdateNodeLabel, "Node"),
    ];
  }

  /** Terms with a namespaceSelector, resolved to the namespaces it selects now. */
  #resolve(terms: readonly AffinityTerm[]): AffinityTerm[] {
    return terms.map((term) => {
      if (term.namespaceSelector.matchesNothing()) return term;
      const selected: string[] = [];
      for (const namespace of this.#handle.listers.namespaces()) {
        if (term.namespaceSelector.matches(namespace.metadata?.labels ?? {})) {
          selected.push(namespace.metadata?.name ?? "");
        }
      }
      return term.withNamespaces(selected);
    });
  }

  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status | undefined {
    if (pod.parseError) return Status.error(pod.parseError);
    const hasTerms =
      pod.requiredAffinityTerms.length > 0 || pod.requiredAntiAffinityTerms.length > 0;
    if (!hasTerms && this.#handle.cache.podsWithRequiredAntiAffinity === 0) return Status.skip;
    const namespaceLabels = this.#handle.listers.namespaceLabels(pod.namespace) ?? {};
    const s = new PreFilterState(
      pod,
      this.#resolve(pod.requiredAffinityTerms),
      this.#resolve(pod.requiredAntiAffinityTerms),
      namespaceLabels,
    );
    for (const node of nodes) {
      for (const existing of node.podsWithRequiredAntiAffinity) {
        s.existingAntiAffinityCounts.addAntiAffinity(
          existing.requiredAntiAffinityTerms,
          pod,
          namespaceLabels,
          node,
          1,
        );
      }
      if (!hasTerms) continue;
      for (const existing of node.pods) {
        s.affinityCounts.addAffinity(s.affinityTerms, existing, node, 1);
        s.antiAffinityCounts.addAntiAffinity(s.antiAffinityTerms, existing, undefined, node, 1);
      }
    }
    state.write(PRE_FILTER_KEY, s);
    return undefined;
  }

  addPod(state: CycleState, _pod: PodInfo, added: PodInfo, node: NodeInfo): void {
    state.read<PreFilterState>(PRE_FILTER_KEY)?.updateWithPod(added, node, 1);
  }

  removePod(state: CycleState, _pod: PodInfo, removed: PodInfo, node: NodeInfo): void {
    state.read<PreFilterState>(PRE_FILTER_KEY)?.updateWithPod(removed, node, -1);
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status | undefined {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return undefined;
    if (!satisfiesAffinity(s, node)) return Status.unresolvable(ERR_REASON_AFFINITY);
    if (s.antiAffinityCounts.size > 0) {
      for (const term of s.antiAffinityTerms) {
        const value = node.labels[term.topologyKey];
        if (
          value !== undefined &&
          (s.antiAffinityCounts.get(pairKey(term.topologyKey, value)) ?? 0) > 0
        ) {
          return Status.unschedulable(ERR_REASON_ANTI_AFFINITY);
        }
      }
    }
    if (s.existingAntiAffinityCounts.size > 0) {
      for (const [key, value] of Object.entries(node.labels)) {
        if ((s.existingAntiAffinityCounts.get(pairKey(key, value)) ?? 0) > 0) {
          return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
        }
      }
    }
    return undefined;
  }

  preScore(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    allNodes: readonly NodeInfo[],
  ): Status | undefined {
    if (nodes.length === 0) return Status.skip;
    const hasConstraints =
      pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
    if (!hasConstraints && this.#handle.cache.podsWithAffinity === 0) return Status.skip;
    const namespaceLabels = this.#handle.listers.namespaceLabels(pod.namespace) ?? {};
    const preferred = this.#resolve(pod.preferredAffinityTerms);
    const preferredAnti = this.#resolve(pod.preferredAntiAffinityTerms);
    const scores = new Map<string, Map<string, number>>();
    const add = (term: AffinityTerm, weight: number, node: NodeInfo) => {
      const value = node.labels[term.topologyKey];
      if (value === undefined) return;
      let byValue = scores.get(term.topologyKey);
      if (!byValue) {
        byValue = new Map();
        scores.set(term.topologyKey, byValue);
      }
      byValue.set(value, (byValue.get(value) ?? 0) + weight);
    };
    const process = (existing: PodInfo, node: NodeInfo) => {
      for (const term of preferred)
        if (term.matches(existing, undefined)) add(term, term.weight, node);
      for (const term of preferredAnti) {
        if (term.matches(existing, undefined)) add(term, -term.weight, node);
      }
      if (this.#hardPodAffinityWeight > 0 && Object.keys(node.labels).length > 0) {
        for (const term of existing.requiredAffinityTerms) {
          if (term.matches(pod, namespaceLabels)) add(term, this.#hardPodAffinityWeight, node);
        }
      }
      for (const term of existing.preferredAffinityTerms) {
        if (term.matches(pod, namespaceLabels)) add(term, term.weight, node);
      }
      for (const term of existing.preferredAntiAffinityTerms) {
        if (term.matches(pod, namespaceLabels)) add(term, -term.weight, node);
      }
    };
    for (const node of allNodes) {
      for (const existing of hasConstraints ? node.pods : node.podsWithAffinity) {
        process(existing, node);
      }
    }
    if (scores.size === 0) return Status.skip;
    state.write(PRE_SCORE_KEY, scores);
    return undefined;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const scores = state.read<Map<string, Map<string, number>>>(PRE_SCORE_KEY);
    if (!scores) return 0;
    let score = 0;
    for (const [key, byValue] of scores) {
      const value = node.labels[key];
      if (value !== undefined) score += byValue.get(value) ?? 0;
    }
    return score;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: Float64Array) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const score of scores) {
      if (score < min) min = score;
      if (score > max) max = score;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) {
      scores[i] =
        diff > 0 ? Math.trunc((MAX_NODE_SCORE * ((scores[i] as number) - min)) / diff) : 0;
    }
  }
}

/**
 * Every required affinity term has a matching pod in the node's domain for its key; or
 * no pod anywhere matches and the pod matches its own terms (the first of a group that
 * wants to be together).
 */
function satisfiesAffinity(s: PreFilterState, node: NodeInfo): boolean {
  let podsExist = true;
  for (const term of s.affinityTerms) {
    const value = node.labels[term.topologyKey];
    if (value === undefined) return false;
    if ((s.affinityCounts.get(pairKey(term.topologyKey, value)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinityCounts.size === 0 && matchesAllTerms(s.affinityTerms, s.pod);
}

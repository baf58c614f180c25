/**
 * PodTopologySpread: DoNotSchedule constraints filter nodes whose topology domain would
 * exceed maxSkew (matching pods there + the pod itself − the global minimum, which is 0
 * while fewer than minDomains domains exist); ScheduleAnyway constraints, or the default
 * constraints for pods selected by a Service/RC/RS/StatefulSet, score domains with fewer
 * matching pods higher. nodeAffinityPolicy (default Honor) and nodeTaintsPolicy (default
 * Ignore) decide which nodes' pods count.
 */

import { LabelSelector, type Requirement } from "../../resources/labels/label-selector.ts";
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
import { RequiredNodeAffinity } from "../node-selector.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";
import { findUntoleratedTaint } from "../taints.ts";
import { LABEL_HOSTNAME, LABEL_ZONE, type TopologySpreadConstraint } from "../types.ts";
import { defaultSelector } from "./default-selector.ts";

export const ERR_REASON_CONSTRAINTS_NOT_MATCH =
  "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const PRE_FILTER_KEY = "PreFilterPodTopologySpread";
const PRE_SCORE_KEY = "PreScorePodTopologySpread";

export interface PodTopologySpreadArgs {
  defaultConstraints?: TopologySpreadConstraint[];
  defaultingType?: "System" | "List";
}

/** Upstream's system defaults: spread over hosts and zones, as a preference only. */
export const SYSTEM_DEFAULT_CONSTRAINTS: TopologySpreadConstraint[] = [
  { maxSkew: 3, topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: "ScheduleAnyway" },
  { maxSkew: 5, topologyKey: LABEL_ZONE, whenUnsatisfiable: "ScheduleAnyway" },
];

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

const pairKey = (key: string, value: string) => `${key}\u0000${value}`;

function matchesAllKeys(labels: Readonly<Record<string, string>>, constraints: Constraint[]) {
  for (const c of constraints) if (!Object.hasOwn(labels, c.topologyKey)) return false;
  return true;
}

function countMatching(pods: readonly PodInfo[], selector: LabelSelector, namespace: string) {
  if (selector.isEmpty()) return 0;
  let count = 0;
  for (const pod of pods) {
    if (pod.isTerminating || pod.namespace !== namespace) continue;
    if (selector.matches(pod.labels)) count++;
  }
  return count;
}

function includesNode(c: Constraint, pod: PodInfo, required: RequiredNodeAffinity, node: NodeInfo) {
  if (c.honorNodeAffinity && node.node && !required.matches(node.node)) return false;
  if (c.honorNodeTaints && findUntoleratedTaint(node.taints, pod.spec.tolerations ?? []))
    return false;
  return true;
}

/** The two smallest domains of a key (upstream criticalPaths). */
class CriticalPaths {
  values: [string, string] = ["", ""];
  nums: [number, number] = [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];

  update(value: string, num: number): void {
    const i = value === this.values[0] ? 0 : value === this.values[1] ? 1 : undefined;
    if (i !== undefined) {
      this.nums[i] = num;
      if (this.nums[0] > this.nums[1]) {
        this.values = [this.values[1], this.values[0]];
        this.nums = [this.nums[1], this.nums[0]];
      }
    } else if (num < this.nums[0]) {
      this.values = [value, this.values[0]];
      this.nums = [num, this.nums[0]];
    } else if (num < this.nums[1]) {
      this.values[1] = value;
      this.nums[1] = num;
    }
  }

  clone(): CriticalPaths {
    const copy = new CriticalPaths();
    copy.values = [...this.values];
    copy.nums = [...this.nums];
    return copy;
  }
}

class PreFilterState {
  constructor(
    readonly constraints: Constraint[],
    readonly required: RequiredNodeAffinity,
    readonly matchNum = new Map<string, number>(),
    readonly domains = new Map<string, number>(),
    readonly criticalPaths = new Map<string, CriticalPaths>(),
  ) {}

  minMatchNum(key: string, minDomains: number): number {
    if ((this.domains.get(key) ?? 0) < minDomains) return 0;
    return this.criticalPaths.get(key)?.nums[0] ?? 0;
  }

  updateWithPod(pod: PodInfo, other: PodInfo, node: NodeInfo, delta: number): void {
    if (other.namespace !== pod.namespace || !matchesAllKeys(node.labels, this.constraints)) return;
    for (const c of this.constraints) {
      if (!c.selector.matches(other.labels) || !includesNode(c, pod, this.required, node)) continue;
      const value = node.labels[c.topologyKey] as string;
      const pair = pairKey(c.topologyKey, value);
      const num = (this.matchNum.get(pair) ?? 0) + delta;
      this.matchNum.set(pair, num);
      this.criticalPaths.get(c.topologyKey)?.update(value, num);
    }
  }

  clone(): PreFilterState {
    const paths = new Map<string, CriticalPaths>();
    for (const [key, p] of this.criticalPaths) paths.set(key, p.clone());
    return new PreFilterState(
      this.constraints,
      this.required,
      new Map(this.matchNum),
      new Map(this.domains),
      paths,
    );
  }
}

interface PreScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  counts: Map<string, number>[];
  weights: number[];
}

export class PodTopologySpread
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin
{
  readonly name = "PodTopologySpread";
  readonly #handle: Handle;
  readonly #defaults: TopologySpreadConstraint[];
  readonly #systemDefaulted: boolean;

  constructor(handle: Handle, args: PodTopologySpreadArgs = {}) {
    this.#handle = handle;
    this.#systemDefaulted = (args.defaultingType ?? "System") === "System";
    this.#defaults = this.#systemDefaulted
      ? SYSTEM_DEFAULT_CONSTRAINTS
      : (args.defaultConstraints ?? []);
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event("Pod", Action.Add | Action.UpdatePodLabel | Action.Delete, "AssignedPod"),
      event(
        "Node",
        Action.Add | Action.Delete | Action.UpdateNodeLabel | Action.UpdateNodeTaint,
        "Node",
      ),
    ];
  }

  #constraints(pod: PodInfo, action: string): Constraint[] {
    const own = pod.spec.topologySpreadConstraints ?? [];
    if (own.length > 0) return toConstraints(own, pod.labels, action);
    const constraints = toConstraints(this.#defaults, pod.labels, action);
    if (constraints.length === 0) return [];
    const selector = defaultSelector(pod, this.#handle.listers);
    if (selector.isEmpty()) return [];
    return constraints.map((c) => ({ ...c, selector }));
  }

  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status | undefined {
    let constraints: Constraint[];
    try {
      constraints = this.#constraints(pod, "DoNotSchedule");
    } catch (error) {
      return Status.error(
        `obtaining pod's hard topology spread constraints: ${(error as Error).message}`,
      );
    }
    if (constraints.length === 0) return Status.skip;
    const s = new PreFilterState(constraints, new RequiredNodeAffinity(pod.spec));
    for (const node of nodes) {
      if (!matchesAllKeys(node.labels, constraints)) continue;
      for (const c of constraints) {
        if (!includesNode(c, pod, s.required, node)) continue;
        const pair = pairKey(c.topologyKey, node.labels[c.topologyKey] as string);
        const count = countMatching(node.pods, c.selector, pod.namespace);
        const before = s.matchNum.get(pair);
        if (before === undefined)
          s.domains.set(c.topologyKey, (s.domains.get(c.topologyKey) ?? 0) + 1);
        s.matchNum.set(pair, (before ?? 0) + count);
      }
    }
    for (const c of constraints) s.criticalPaths.set(c.topologyKey, new CriticalPaths());
    for (const [pair, num] of s.matchNum) {
      const [key = "", value = ""] = pair.split("\u0000");
      s.criticalPaths.get(key)?.update(value, num);
    }
    state.write(PRE_FILTER_KEY, s);
    return undefined;
  }

  addPod(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void {
    state.read<PreFilterState>(PRE_FILTER_KEY)?.updateWithPod(pod, added, node, 1);
  }

  removePod(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void {
    state.read<PreFilterState>(PRE_FILTER_KEY)?.updateWithPod(pod, removed, node, -1);
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return undefined;
    for (const c of s.constraints) {
      const value = node.labels[c.topologyKey];
      if (value === undefined) return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      const min = s.minMatchNum(c.topologyKey, c.minDomains);
      const self = c.selector.matches(pod.labels) ? 1 : 0;
      const matchNum = s.matchNum.get(pairKey(c.topologyKey, value)) ?? 0;
      if (matchNum + self - min > c.maxSkew) {
        return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
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
    if (allNodes.length === 0) return Status.skip;
    // Nodes without a zone label still get hostname spreading under the system defaults.
    const requireAll =
      (pod.spec.topologySpreadConstraints ?? []).length > 0 || !this.#systemDefaulted;
    let constraints: Constraint[];
    try {
      constraints = this.#constraints(pod, "ScheduleAnyway");
    } catch {
      return Status.skip;
    }
    if (constraints.length === 0) return Status.skip;
    const s: PreScoreState = {
      constraints,
      ignored: new Set(),
      counts: constraints.map(() => new Map<string, number>()),
      weights: [],
    };
    const sizes = constraints.map(() => 0);
    for (const node of nodes) {
      if (requireAll && !matchesAllKeys(node.labels, constraints)) {
        s.ignored.add(node.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME) return;
        const value = node.labels[c.topologyKey] ?? "";
        const counts = s.counts[i] as Map<string, number>;
        if (!counts.has(value)) {
          counts.set(value, 0);
          sizes[i] = (sizes[i] as number) + 1;
        }
      });
    }
    s.weights = constraints.map((c, i) =>
      Math.log(
        (c.topologyKey === LABEL_HOSTNAME ? nodes.length - s.ignored.size : (sizes[i] as number)) +
          2,
      ),
    );
    const required = new RequiredNodeAffinity(pod.spec);
    for (const node of allNodes) {
      if (requireAll && !matchesAllKeys(node.labels, constraints)) continue;
      constraints.forEach((c, i) => {
        if (!includesNode(c, pod, required, node)) return;
        const value = node.labels[c.topologyKey] ?? "";
        const counts = s.counts[i] as Map<string, number>;
        const count = counts.get(value);
        if (count === undefined) return;
        counts.set(value, count + countMatching(node.pods, c.selector, pod.namespace));
      });
    }
    state.write(PRE_SCORE_KEY, s);
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s || s.ignored.has(node.name)) return 0;
    let score = 0;
    s.constraints.forEach((c, i) => {
      const value = node.labels[c.topologyKey];
      if (value === undefined) return;
      const count =
        c.topologyKey === LABEL_HOSTNAME
          ? countMatching(node.pods, c.selector, pod.namespace)
          : (s.counts[i]?.get(value) ?? 0);
      score += count * (s.weights[i] as number) + (c.maxSkew - 1);
    });
    return Math.round(score);
  }

  normalizeScore(
    state: CycleState,
    _pod: PodInfo,
    nodes: readonly NodeInfo[],
    scores: Float64Array,
  ) {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return;
    let min = Number.MAX_SAFE_INTEGER;
    let max = 0;
    nodes.forEach((node, i) => {
      if (s.ignored.has(node.name)) return;
      const score = scores[i] as number;
      if (score < min) min = score;
      if (score > max) max = score;
    });
    nodes.forEach((node, i) => {
      if (s.ignored.has(node.name)) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - (scores[i] as number))) / max);
    });
  }
}

/**
 * The constraints with `whenUnsatisfiable === action`, selectors parsed, matchLabelKeys
 * merged in from the pod's labels, policies defaulted (Honor affinity, Ignore taints).
 */
export function toConstraints(
  constraints: readonly TopologySpreadConstraint[],
  podLabels: Readonly<Record<string, string>>,
  action: string,
): Constraint[] {
  const result: Constraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector = LabelSelector.fromObject(c.labelSelector);
    const keys = (c.matchLabelKeys ?? []).filter((key) => Object.hasOwn(podLabels, key));
    if (keys.length > 0 && !selector.matchesNothing()) {
      const extra: Requirement[] = LabelSelector.fromSet(
        Object.fromEntries(keys.map((key) => [key, podLabels[key] as string])),
      ).requirements() as Requirement[];
      selector = selector.add(...extra);
    }
    result.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      honorNodeAffinity: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
      honorNodeTaints: (c.nodeTaintsPolicy ?? "Ignore") === "Honor",
    });
  }
  return result;
}

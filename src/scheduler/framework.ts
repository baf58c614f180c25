/**
 * The scheduling framework (upstream pkg/scheduler/framework): plugins implement some of
 * the extension points below, a profile lists which plugins run at each point (and the
 * score weights), and a Framework runs them in order. Filter and score run once per
 * node per pod, so they are synchronous and return `undefined` for success: no promise,
 * no allocation on the hot path. PreBind and Bind run in the binding cycle, off the
 * scheduling loop, and may wait.
 */

import type { ClusterEvent } from "./cluster-events.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import { Code, type NodeToStatus, Status } from "./status.ts";

export const MAX_NODE_SCORE = 100;

/** Per-cycle data plugins compute in PreFilter/PreScore and read per node. */
export class CycleState {
  readonly #data = new Map<string, unknown>();
  /** Plugins whose PreFilter/PreScore said Skip: their Filter/Score do not run. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();

  read<T>(key: string): T | undefined {
    return this.#data.get(key) as T | undefined;
  }

  write(key: string, value: unknown): void {
    this.#data.set(key, value);
  }

  /** A copy whose cloneable entries (with a `clone()` method) are cloned. */
  clone(): CycleState {
    const copy = new CycleState();
    for (const [key, value] of this.#data) {
      const cloneable = value as { clone?: () => unknown } | null;
      copy.#data.set(key, typeof cloneable?.clone === "function" ? cloneable.clone() : value);
    }
    for (const name of this.skipFilter) copy.skipFilter.add(name);
    for (const name of this.skipScore) copy.skipScore.add(name);
    return copy;
  }
}

export interface Plugin {
  readonly name: string;
  /** Events that could make a pod this plugin rejected schedulable. */
  eventsToRegister?(): ClusterEvent[];
}

/** Runs before a pod enters the active queue; a rejection parks it (scheduling gates). */
export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: PodInfo): Status | undefined;
}

/** Restricts the nodes to evaluate, e.g. to the node a DaemonSet pod names. */
export interface PreFilterResult {
  nodeNames?: ReadonlySet<string>;
}

export interface PreFilterPlugin extends Plugin {
  /** A Status (Skip, or a rejection for every node) or a result. */
  preFilter(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
  ): Status | PreFilterResult | undefined;
  /** Keeps the PreFilter state right when a pod is added or removed in a what-if. */
  addPod?(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void;
  removePod?(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
}

export interface PostFilterResult {
  /** Set when preemption made room: the pod's status.nominatedNodeName ("" clears it). */
  nominatedNodeName?: string;
  status: Status;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, statuses: NodeToStatus): PostFilterResult;
}

export interface PreScorePlugin extends Plugin {
  /** Skip (or undefined); `allNodes` for plugins that count pods cluster-wide. */
  preScore(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    allNodes: readonly NodeInfo[],
  ): Status | undefined;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales `scores` (one per node, same order) to 0–MAX_NODE_SCORE in place. */
  normalizeScore?(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    scores: Float64Array,
  ): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | undefined;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined>;
}

export interface BindPlugin extends Plugin {
  /** Skip passes the pod to the next bind plugin. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined>;
}

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

/** The plugins of one profile, per extension point, in the order they run. */
export interface ProfilePlugins {
  preEnqueue: PreEnqueuePlugin[];
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: WeightedScorePlugin[];
  reserve: ReservePlugin[];
  preBind: PreBindPlugin[];
  bind: BindPlugin[];
}

/** Who nominated which pods where (preemption), for filters that account for them. */
export interface NominatedPods {
  readonly size: number;
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
}

export class Framework {
  readonly plugins: ProfilePlugins;
  readonly #nominated: NominatedPods;

  constructor(
    readonly schedulerName: string,
    plugins: ProfilePlugins,
    nominated: NominatedPods,
    /** Profile override of percentageOfNodesToScore (0: adaptive). */
    readonly percentageOfNodesToScore?: number,
  ) {
    this.plugins = plugins;
    this.#nominated = nominated;
  }

  get hasScorePlugins(): boolean {
    return this.plugins.score.length > 0;
  }

  get hasFilterPlugins(): boolean {
    return this.plugins.filter.length > 0;
  }

  /** All plugins, once each. */
  allPlugins(): Plugin[] {
    const seen = new Set<Plugin>();
    const p = this.plugins;
    for (const list of [
      p.preEnqueue,
      p.preFilter,
      p.filter,
      p.postFilter,
      p.preScore,
      p.reserve,
      p.preBind,
      p.bind,
    ] as Plugin[][]) {
      for (const plugin of list) seen.add(plugin);
    }
    for (const { plugin } of p.score) seen.add(plugin);
    return [...seen];
  }

  runPreEnqueue(pod: PodInfo): Status | undefined {
    for (const plugin of this.plugins.preEnqueue) {
      const status = plugin.preEnqueue(pod);
      if (status && status.code !== Code.Success) return status.withPlugin(plugin.name);
    }
    return undefined;
  }

  /**
   * Runs every PreFilter plugin. Returns a rejection (or error), or the intersection of
   * the node names plugins restricted the pod to (undefined: all nodes), with the
   * plugins that restricted it.
   */
  runPreFilter(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
  ): { status?: Status; nodeNames?: Set<string>; restrictedBy: string[] } {
    let nodeNames: Set<string> | undefined;
    const restrictedBy: string[] = [];
    for (const plugin of this.plugins.preFilter) {
      const result = plugin.preFilter(state, pod, nodes);
      if (result instanceof Status) {
        if (result.isSkip) {
          state.skipFilter.add(plugin.name);
          continue;
        }
        if (result.code !== Code.Success)
          return { status: result.withPlugin(plugin.name), restrictedBy };
        continue;
      }
      if (result?.nodeNames) {
        restrictedBy.push(plugin.name);
        nodeNames = nodeNames
          ? new Set([...nodeNames].filter((n) => result.nodeNames?.has(n)))
          : new Set(result.nodeNames);
      }
    }
    return { nodeNames, restrictedBy };
  }

  runPreFilterAddPod(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void {
    for (const plugin of this.plugins.preFilter) {
      if (!state.skipFilter.has(plugin.name)) plugin.addPod?.(state, pod, added, node);
    }
  }

  runPreFilterRemovePod(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void {
    for (const plugin of this.plugins.preFilter) {
      if (!state.skipFilter.has(plugin.name)) plugin.removePod?.(state, pod, removed, node);
    }
  }

  /** The first rejection on `node` (plugins run in order and stop at one), or undefined. */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const filters = this.plugins.filter;
    for (let i = 0; i < filters.length; i++) {
      const plugin = filters[i] as FilterPlugin;
      if (state.skipFilter.size > 0 && state.skipFilter.has(plugin.name)) continue;
      const status = plugin.filter(state, pod, node);
      if (status !== undefined && status.code !== Code.Success)
        return status.withPlugin(plugin.name);
    }
    return undefined;
  }

  /**
   * Upstream RunFilterPluginsWithNominatedPods: first with the pods nominated to the node
   * that are at least as important as this one counted in, then (if any were added and
   * that passed) without them, since some filters (pod affinity) could pass only with.
   */
  runFilterWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (this.#nominated.size === 0) return this.runFilter(state, pod, node);
    const nominated = this.#nominated.nominatedPodsForNode(node.name);
    let withNominated: NodeInfo | undefined;
    let stateWithNominated: CycleState | undefined;
    for (const other of nominated) {
      if (other.priority < pod.priority || other.uid === pod.uid) continue;
      withNominated ??= node.clone();
      stateWithNominated ??= state.clone();
      withNominated.addPod(other);
      this.runPreFilterAddPod(stateWithNominated, pod, other, withNominated);
    }
    if (!withNominated || !stateWithNominated) return this.runFilter(state, pod, node);
    const status = this.runFilter(stateWithNominated, pod, withNominated);
    if (status) return status;
    return this.runFilter(state, pod, node);
  }

  runPostFilter(state: CycleState, pod: PodInfo, statuses: NodeToStatus): PostFilterResult {
    let last: PostFilterResult = { status: Status.unschedulable() };
    for (const plugin of this.plugins.postFilter) {
      const result = plugin.postFilter(state, pod, statuses);
      if (result.status.code === Code.Success) return result;
      if (!result.status.isRejected) return result;
      last = result;
    }
    return last;
  }

  /** Weighted total score per node (same order as `nodes`). */
  runScore(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    allNodes: readonly NodeInfo[],
  ): Float64Array {
    for (const plugin of this.plugins.preScore) {
      const status = plugin.preScore(state, pod, nodes, allNodes);
      if (status?.isSkip) state.skipScore.add(plugin.name);
    }
    const totals = new Float64Array(nodes.length);
    const scores = new Float64Array(nodes.length);
    for (const { plugin, weight } of this.plugins.score) {
      if (state.skipScore.has(plugin.name)) continue;
      for (let i = 0; i < nodes.length; i++) {
        scores[i] = plugin.score(state, pod, nodes[i] as NodeInfo);
      }
      plugin.normalizeScore?.(state, pod, nodes, scores);
      for (let i = 0; i < nodes.length; i++) {
        totals[i] = (totals[i] as number) + (scores[i] as number) * weight;
      }
    }
    return totals;
  }

  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status | undefined {
    for (const plugin of this.plugins.reserve) {
      const status = plugin.reserve(state, pod, nodeName);
      if (status && status.code !== Code.Success) return status.withPlugin(plugin.name);
    }
    return undefined;
  }

  /** In reverse order, as upstream. */
  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = this.plugins.reserve.length - 1; i >= 0; i--) {
      this.plugins.reserve[i]?.unreserve(state, pod, nodeName);
    }
  }

  async runPreBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined> {
    for (const plugin of this.plugins.preBind) {
      const status = await plugin.preBind(state, pod, nodeName);
      if (status && status.code !== Code.Success) return status.withPlugin(plugin.name);
    }
    return undefined;
  }

  async runBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined> {
    for (const plugin of this.plugins.bind) {
      const status = await plugin.bind(state, pod, nodeName);
      if (status?.isSkip) continue;
      return status?.withPlugin(plugin.name);
    }
    return Status.error("no bind plugin bound the pod");
  }
}

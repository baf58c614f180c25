/**
 * The scheduling algorithm of one cycle (upstream schedule_one.go schedulePod): run
 * PreFilter, filter nodes round-robin from where the last cycle stopped until enough
 * feasible ones are found (percentageOfNodesToScore: adaptive 50% − nodes/125, at least
 * 5%, at least 100 nodes), score those, pick the best (random among ties). This is the
 * scheduler's hot path: synchronous, and per node only the filter and score calls.
 */
import type { SchedulerCache } from "./cache.ts";
import { CycleState, type Framework } from "./framework.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import { Code, type Diagnosis, NO_NODES_AVAILABLE, NodeToStatus, Status } from "./status.ts";
import { podStatus } from "./types.ts";

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** Upstream numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(
  percentage: number | undefined,
  numAllNodes: number,
): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let p = percentage ?? 0;
  if (p === 0) {
    p = 50 - Math.trunc(numAllNodes / 125);
    if (p < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) p = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * p) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export type ScheduleResult =
  | { node: string; state: CycleState; evaluated: number; feasible: number }
  | { fitError: { numAllNodes: number; diagnosis: Diagnosis }; state: CycleState }
  | { error: string; state: CycleState };

export class SchedulingAlgorithm {
  #nextStartNodeIndex = 0;

  constructor(
    readonly cache: SchedulerCache,
    readonly percentageOfNodesToScore?: number,
    readonly random: () => number = Math.random,
  ) {}

  schedulePod(framework: Framework, pod: PodInfo): ScheduleResult {
    const state = new CycleState();
    const allNodes = this.cache.nodeList();
    if (allNodes.length === 0) return { error: NO_NODES_AVAILABLE, state };
    const diagnosis: Diagnosis = {
      nodeToStatus: new NodeToStatus(),
      unschedulablePlugins: new Set(),
    };
    const feasible = this.#findNodesThatFit(framework, state, pod, allNodes, diagnosis);
    if ("error" in feasible) return { error: feasible.error, state };
    if (feasible.nodes.length === 0) {
      return { fitError: { numAllNodes: allNodes.length, diagnosis }, state };
    }
    if (feasible.nodes.length === 1) {
      const only = feasible.nodes[0] as NodeInfo;
      return { node: only.name, state, evaluated: feasible.evaluated, feasible: 1 };
    }
    const node = this.#selectHost(framework, state, pod, feasible.nodes, allNodes);
    return { node, state, evaluated: feasible.evaluated, feasible: feasible.nodes.length };
  }

  #findNodesThatFit(
    framework: Framework,
    state: CycleState,
    pod: PodInfo,
    allNodes: readonly NodeInfo[],
    diagnosis: Diagnosis,
  ): { nodes: NodeInfo[]; evaluated: number } | { error: string } {
    const pre = framework.runPreFilter(state, pod, allNodes);
    if (pre.status) {
      if (!pre.status.isRejected) return { error: pre.status.message() };
      // Every node gets the PreFilter verdict; the message carries it once.
      diagnosis.nodeToStatus.absent = pre.status;
      diagnosis.preFilterMsg = pre.status.message();
      diagnosis.unschedulablePlugins.add(pre.status.plugin);
      return { nodes: [], evaluated: 0 };
    }
    // A nominated pod tries its nominated node first (upstream evaluateNominatedNode).
    const nominated = podStatus(pod.pod).nominatedNodeName;
    if (nominated) {
      const node = this.cache.getNode(nominated);
      if (node && (!pre.nodeNames || pre.nodeNames.has(nominated))) {
        const status = framework.runFilterWithNominatedPods(state, pod, node);
        if (!status) return { nodes: [node], evaluated: 1 };
        if (status.code === Code.Error) return { error: status.message() };
      }
    }
    let nodes = allNodes;
    if (pre.nodeNames) {
      nodes = allNodes.filter((n) => pre.nodeNames?.has(n.name));
      diagnosis.nodeToStatus.absent = Status.unresolvable(
        `node(s) didn't satisfy plugin(s) [${pre.restrictedBy.join(" ")}]`,
      );
      for (const plugin of pre.restrictedBy) diagnosis.unschedulablePlugins.add(plugin);
      if (nodes.length === 0) return { nodes: [], evaluated: 0 };
    } else {
      // Every node is evaluated: none is "absent".
      diagnosis.nodeToStatus.absent = Status.unresolvable();
    }
    if (!framework.hasFilterPlugins) return { nodes: [...nodes], evaluated: nodes.length };
    const wanted = numFeasibleNodesToFind(
      framework.percentageOfNodesToScore ?? this.percentageOfNodesToScore,
      nodes.length,
    );
    const feasible: NodeInfo[] = [];
    const start = this.#nextStartNodeIndex % nodes.length;
    let processed = 0;
    for (; processed < nodes.length && feasible.length < wanted; processed++) {
      const node = nodes[(start + processed) % nodes.length] as NodeInfo;
      const status = framework.runFilterWithNominatedPods(state, pod, node);
      if (!status) {
        feasible.push(node);
        continue;
      }
      if (status.code === Code.Error) return { error: status.message() };
      diagnosis.nodeToStatus.set(node.name, status);
      diagnosis.unschedulablePlugins.add(status.plugin);
    }
    this.#nextStartNodeIndex = (start + processed) % nodes.length;
    return { nodes: feasible, evaluated: processed };
  }

  /** Highest total score; ties broken uniformly at random (upstream selectHost). */
  #selectHost(
    framework: Framework,
    state: CycleState,
    pod: PodInfo,
    nodes: NodeInfo[],
    allNodes: readonly NodeInfo[],
  ): string {
    if (!framework.hasScorePlugins) {
      return (nodes[Math.floor(this.random() * nodes.length)] as NodeInfo).name;
    }
    const scores = framework.runScore(state, pod, nodes, allNodes);
    let best = Number.NEGATIVE_INFINITY;
    let selected = "";
    let ties = 0;
    for (let i = 0; i < nodes.length; i++) {
      const score = scores[i] as number;
      if (score > best) {
        best = score;
        selected = (nodes[i] as NodeInfo).name;
        ties = 1;
      } else if (score === best) {
        ties++;
        if (Math.floor(this.random() * ties) === 0) selected = (nodes[i] as NodeInfo).name;
      }
    }
    return selected;
  }
}

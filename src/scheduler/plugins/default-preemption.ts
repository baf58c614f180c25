/**
 * DefaultPreemption (PostFilter): when a pod fits nowhere, find nodes where evicting
 * lower-priority pods would let it fit, choose one the way upstream does (fewest PDB
 * violations, then the lowest highest-priority victim, the smallest priority sum, the
 * fewest victims, the latest start), evict the victims (DisruptionTarget condition,
 * delete, a Preempted event) and nominate the node for the pod. The evictions run in
 * the background (upstream's async preemption); the pod is retried when they land.
 */
import { resourcePath } from "../../client/resource-path.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { LabelSelector, type MetaV1LabelSelector } from "../../resources/labels/label-selector.ts";
import type { CycleState, PostFilterPlugin, PostFilterResult } from "../framework.ts";
import type { Handle } from "../handle.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { Code, fitErrorMessage, NodeToStatus, Status } from "../status.ts";
import { podStatus } from "../types.ts";

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

const NOT_HELPFUL = "Preemption is not helpful for scheduling";
const NO_VICTIMS = "No preemption victims found for incoming pod";

export interface Candidate {
  nodeName: string;
  /** Most important first. */
  victims: PodInfo[];
  pdbViolations: number;
}

const startTime = (pod: PodInfo): number => {
  const start = podStatus(pod.pod).startTime;
  return start ? Date.parse(start) : Date.now();
};

/** Upstream util.MoreImportantPod: higher priority, then the one running longer. */
export function moreImportant(a: PodInfo, b: PodInfo): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return startTime(a) < startTime(b);
}

/** Splits `pods` (order kept) by whether evicting them would exceed a PDB's budget. */
export function splitByPdbViolation(
  pods: readonly PodInfo[],
  pdbs: readonly KubeObject[],
): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map(
    (pdb) => (pdb.status as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed ?? 0,
  );
  const selectors = pdbs.map((pdb) => {
    try {
      return LabelSelector.fromObject(
        (pdb.spec as { selector?: MetaV1LabelSelector } | undefined)?.selector,
      );
    } catch {
      return LabelSelector.nothing();
    }
  });
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pod of pods) {
    let violated = false;
    if (Object.keys(pod.labels).length > 0) {
      pdbs.forEach((pdb, i) => {
        const selector = selectors[i] as LabelSelector;
        if (pdb.metadata?.namespace !== pod.namespace) return;
        if (selector.isEmpty() || !selector.matches(pod.labels)) return;
        const disrupted = (pdb.status as { disruptedPods?: Record<string, string> } | undefined)
          ?.disruptedPods;
        if (disrupted && Object.hasOwn(disrupted, pod.name)) return;
        allowed[i] = (allowed[i] as number) - 1;
        if ((allowed[i] as number) < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(pod);
  }
  return { violating, nonViolating };
}

/** Upstream pickOneNodeForPreemption. */
export function pickOneNode(candidates: readonly Candidate[]): Candidate | undefined {
  const earliestStart = (c: Candidate) => {
    const top = c.victims[0] as PodInfo;
    let priority = top.priority;
    let earliest = startTime(top);
    for (const victim of c.victims) {
      if (victim.priority === priority) earliest = Math.min(earliest, startTime(victim));
      else if (victim.priority > priority) {
        priority = victim.priority;
        earliest = startTime(victim);
      }
    }
    return earliest;
  };
  const scores: ((c: Candidate) => number)[] = [
    (c) => -c.pdbViolations,
    (c) => -(c.victims[0]?.priority ?? 0),
    (c) => -c.victims.reduce((sum, v) => sum + v.priority + 2 ** 31, 0),
    (c) => -c.victims.length,
    earliestStart,
  ];
  let remaining = [...candidates];
  for (const score of scores) {
    if (remaining.length <= 1) break;
    let best = Number.NEGATIVE_INFINITY;
    let kept: Candidate[] = [];
    for (const candidate of remaining) {
      const s = score(candidate);
      if (s > best) {
        best = s;
        kept = [candidate];
      } else if (s === best) kept.push(candidate);
    }
    remaining = kept;
  }
  return remaining[0];
}

const isTerminatingByPreemption = (pod: PodInfo) =>
  pod.isTerminating &&
  (podStatus(pod.pod).conditions ?? []).some(
    (c) =>
      c.type === "DisruptionTarget" && c.status === "True" && c.reason === "PreemptionByScheduler",
  );

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = "DefaultPreemption";
  readonly #handle: Handle;
  readonly #percentage: number;
  readonly #absolute: number;

  constructor(handle: Handle, args: DefaultPreemptionArgs = {}) {
    this.#handle = handle;
    this.#percentage = args.minCandidateNodesPercentage ?? 10;
    this.#absolute = args.minCandidateNodesAbsolute ?? 100;
  }

  postFilter(state: CycleState, pod: PodInfo, statuses: NodeToStatus): PostFilterResult {
    const result = this.#preempt(state, pod, statuses);
    const message = result.status.message();
    if (message) {
      return { ...result, status: new Status(result.status.code, [`preemption: ${message}`]) };
    }
    return result;
  }

  #preempt(state: CycleState, pod: PodInfo, statuses: NodeToStatus): PostFilterResult {
    const ineligible = this.#ineligibility(pod, statuses);
    if (ineligible) return { status: Status.unschedulable(ineligible) };
    const allNodes = this.#handle.cache.nodeList();
    const potential = allNodes.filter((n) => statuses.get(n.name).code === Code.Unschedulable);
    const dryRunStatuses = new NodeToStatus();
    dryRunStatuses.absent = Status.unresolvable(NOT_HELPFUL);
    const candidates =
      potential.length > 0 ? this.dryRun(state, pod, potential, dryRunStatuses) : [];
    if (candidates.length === 0) {
      const message = fitErrorMessage(allNodes.length, {
        nodeToStatus: dryRunStatuses,
        unschedulablePlugins: new Set(),
      });
      return { nominatedNodeName: "", status: Status.unschedulable(message) };
    }
    const best = pickOneNode(candidates) as Candidate;
    void this.#evict(best, pod);
    return { nominatedNodeName: best.nodeName, status: new Status(Code.Success, []) };
  }

  /** Upstream PodEligibleToPreemptOthers: why the pod may not preempt, or undefined. */
  #ineligibility(pod: PodInfo, statuses: NodeToStatus): string | undefined {
    if (pod.spec.preemptionPolicy === "Never") return "not eligible due to preemptionPolicy=Never.";
    const latest = this.#handle.listers.pendingPod(pod.key) ?? pod.pod;
    const nominated = podStatus(latest).nominatedNodeName;
    if (!nominated) return undefined;
    if (statuses.get(nominated).code === Code.UnschedulableAndUnresolvable) return undefined;
    const node = this.#handle.cache.getNode(nominated);
    if (node?.pods.some((p) => p.priority < pod.priority && isTerminatingByPreemption(p))) {
      return "not eligible due to a terminating pod on the nominated node.";
    }
    return undefined;
  }

  /**
   * Upstream DryRunPreemption: from a random offset, what-if each potential node until
   * enough candidates are found (some without PDB violations); failures go to `statuses`.
   */
  dryRun(
    state: CycleState,
    pod: PodInfo,
    potential: readonly NodeInfo[],
    statuses: NodeToStatus,
  ): Candidate[] {
    const pdbs = this.#handle.listers.podDisruptionBudgets();
    const wanted = Math.min(
      potential.length,
      Math.max(Math.floor((potential.length * this.#percentage) / 100), this.#absolute),
    );
    const offset = Math.floor(Math.random() * potential.length);
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    for (let i = 0; i < potential.length; i++) {
      const node = potential[(offset + i) % potential.length] as NodeInfo;
      const result = this.selectVictimsOnNode(state.clone(), pod, node.clone(), pdbs);
      if (result instanceof Status) {
        statuses.set(node.name, result);
        continue;
      }
      (result.pdbViolations === 0 ? nonViolating : violating).push(result);
      if (nonViolating.length > 0 && nonViolating.length + violating.length >= wanted) break;
    }
    return [...nonViolating, ...violating];
  }

  /**
   * Upstream SelectVictimsOnNode: remove every lower-priority pod; if the pod then fits,
   * add back as many as possible, most important first and PDB-protected ones before the
   * others; the ones that cannot come back are the victims. `state` and `node` are copies.
   */
  selectVictimsOnNode(
    state: CycleState,
    pod: PodInfo,
    node: NodeInfo,
    pdbs: readonly KubeObject[],
  ): Candidate | Status {
    const framework = this.#handle.framework();
    const potential = node.pods.filter((p) => p.priority < pod.priority);
    for (const victim of potential) {
      node.removePod(victim.key);
      framework.runPreFilterRemovePod(state, pod, victim, node);
    }
    if (potential.length === 0) return Status.unresolvable(NO_VICTIMS);
    const fits = framework.runFilterWithNominatedPods(state, pod, node);
    if (fits) return fits;
    potential.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    const { violating, nonViolating } = splitByPdbViolation(potential, pdbs);
    const victims: PodInfo[] = [];
    let pdbViolations = 0;
    const reprieve = (victim: PodInfo): boolean => {
      node.addPod(victim);
      framework.runPreFilterAddPod(state, pod, victim, node);
      if (!framework.runFilterWithNominatedPods(state, pod, node)) return true;
      node.removePod(victim.key);
      framework.runPreFilterRemovePod(state, pod, victim, node);
      victims.push(victim);
      return false;
    };
    for (const victim of violating) if (!reprieve(victim)) pdbViolations++;
    for (const victim of nonViolating) reprieve(victim);
    if (violating.length > 0 && nonViolating.length > 0) {
      victims.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    }
    return { nodeName: node.name, victims, pdbViolations };
  }

  /** Upstream prepareCandidate: evict the victims, clear lower-priority nominations. */
  async #evict(candidate: Candidate, preemptor: PodInfo): Promise<void> {
    const { client, events, log, nominations } = this.#handle;
    const schedulerName = preemptor.spec.schedulerName || "default-scheduler";
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    await Promise.all(
      candidate.victims.map(async (victim) => {
        if (victim.isTerminating) return;
        const path = resourcePath({
          version: "v1",
          resource: "pods",
          namespace: victim.namespace,
          name: victim.name,
        });
        try {
          await client.patch(
            `${path}/status`,
            {
              status: {
                conditions: [
                  {
                    type: "DisruptionTarget",
                    status: "True",
                    reason: "PreemptionByScheduler",
                    message: `${schedulerName}: preempting to accommodate a higher priority pod`,
                    lastTransitionTime: now,
                  },
                ],
              },
            },
            "strategic",
          );
          await client.delete(path);
          events.event(
            { ...victim.pod, apiVersion: "v1", kind: "Pod" },
            "Normal",
            "Preempted",
            `Preempted by pod ${preemptor.uid} on node ${candidate.nodeName}`,
          );
        } catch (error) {
          log.warn("could not preempt pod", {
            victim: victim.key,
            preemptor: preemptor.key,
            error,
          });
        }
      }),
    );
    for (const other of nominations.nominatedPodsForNode(candidate.nodeName)) {
      if (other.priority >= preemptor.priority) continue;
      const path = resourcePath({
        version: "v1",
        resource: "pods",
        namespace: other.namespace,
        name: other.name,
      });
      await client
        .patch(`${path}/status`, { status: { nominatedNodeName: null } }, "strategic")
        .catch((error) => log.debug("could not clear a nomination", { pod: other.key, error }));
    }
  }
}

/**
 * What replica controllers ask of their pods (upstream's controller_utils.go and
 * podutil): which pods count, which are ready and available, and which go first when
 * there are too many. Pure functions over Pod JSON.
 */
import type { KubeObject } from "../resources/kind.ts";

interface PodCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string;
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; [field: string]: unknown };
  status?: {
    phase?: string;
    conditions?: PodCondition[];
    containerStatuses?: { restartCount?: number }[];
    initContainerStatuses?: { restartCount?: number }[];
    [field: string]: unknown;
  };
}

/** Pods still being deleted or finished for good do not count toward replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === "Ready");
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === "True";
}

/** Ready for at least `minReadySeconds` (strictly longer, as upstream compares with Before). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const since = Date.parse(readyCondition(pod)?.lastTransitionTime ?? "");
  return !Number.isNaN(since) && since + minReadySeconds * 1000 < now.getTime();
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** `controller.kubernetes.io/pod-deletion-cost`: users mark pods cheaper or dearer to delete. */
export const POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

function deletionCost(pod: Pod): number {
  const value = Number.parseInt(pod.metadata?.annotations?.[POD_DELETION_COST] ?? "", 10);
  return Number.isNaN(value) ? 0 : value;
}

function maxRestarts(pod: Pod): number {
  let max = 0;
  for (const status of pod.status?.containerStatuses ?? []) {
    max = Math.max(max, status.restartCount ?? 0);
  }
  return max;
}

/**
 * Compares two instants on a log2 scale of their age, so pods of roughly the same age
 * rank alike and the tie-break (UID) spreads deletions instead of always taking the
 * newest (upstream's LogarithmicScaleDown).
 */
function logarithmicRankDiff(a: number, b: number, now: number): number {
  const rank = (t: number) => {
    const ageNs = (now - t) * 1e6;
    return ageNs > 0 ? Math.floor(Math.log2(ageNs)) : -1;
  };
  return rank(a) - rank(b);
}

/** Later first; a missing time counts as latest ("after or zero"). */
function compareTimes(a: number, b: number, now: number, uidA: string, uidB: string): number {
  if (Number.isNaN(a) || Number.isNaN(b)) {
    if (Number.isNaN(a) && Number.isNaN(b)) return 0;
    return Number.isNaN(a) ? -1 : 1;
  }
  const diff = logarithmicRankDiff(a, b, now);
  if (diff !== 0) return diff;
  return uidA < uidB ? -1 : uidA > uidB ? 1 : 0;
}

export interface RankedPod {
  pod: Pod;
  /** Active related pods on the same node: pods doubled up on a node go first. */
  rank: number;
}

/**
 * Upstream's ActivePodsWithRanks order, the pod to delete first sorting first:
 * unscheduled < scheduled; Pending < Unknown < Running; not ready < ready; lower
 * deletion cost; more pods on its node; ready for less time; more restarts; newer.
 */
export function comparePodsForDeletion(a: RankedPod, b: RankedPod, now: Date): number {
  const [p, q] = [a.pod, b.pod];
  const nodeP = p.spec?.nodeName ?? "";
  const nodeQ = q.spec?.nodeName ?? "";
  if (nodeP !== nodeQ && (nodeP === "" || nodeQ === "")) return nodeP === "" ? -1 : 1;
  const phaseP = PHASE_ORDER[p.status?.phase ?? ""] ?? 0;
  const phaseQ = PHASE_ORDER[q.status?.phase ?? ""] ?? 0;
  if (phaseP !== phaseQ) return phaseP - phaseQ;
  if (isPodReady(p) !== isPodReady(q)) return isPodReady(p) ? 1 : -1;
  const costP = deletionCost(p);
  const costQ = deletionCost(q);
  if (costP !== costQ) return costP - costQ;
  if (a.rank !== b.rank) return b.rank - a.rank;
  const uidP = p.metadata?.uid ?? "";
  const uidQ = q.metadata?.uid ?? "";
  if (isPodReady(p) && isPodReady(q)) {
    const readyP = Date.parse(readyCondition(p)?.lastTransitionTime ?? "");
    const readyQ = Date.parse(readyCondition(q)?.lastTransitionTime ?? "");
    if (readyP !== readyQ && !(Number.isNaN(readyP) && Number.isNaN(readyQ))) {
      const order = compareTimes(readyP, readyQ, now.getTime(), uidP, uidQ);
      if (order !== 0) return order;
    }
  }
  const restartsP = maxRestarts(p);
  const restartsQ = maxRestarts(q);
  if (restartsP !== restartsQ) return restartsQ - restartsP;
  const createdP = Date.parse(p.metadata?.creationTimestamp ?? "");
  const createdQ = Date.parse(q.metadata?.creationTimestamp ?? "");
  if (createdP !== createdQ && !(Number.isNaN(createdP) && Number.isNaN(createdQ))) {
    return compareTimes(createdP, createdQ, now.getTime(), uidP, uidQ);
  }
  return 0;
}

/**
 * The `count` pods to delete from `pods`, ranking each by how many active `related`
 * pods (those of every ReplicaSet under the same Deployment) share its node.
 */
export function podsToDelete(pods: Pod[], related: Pod[], count: number, now: Date): Pod[] {
  if (count >= pods.length) return pods.slice(0, count);
  const onNode = new Map<string, number>();
  for (const pod of related) {
    if (!isPodActive(pod)) continue;
    const node = pod.spec?.nodeName ?? "";
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  return pods
    .map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? "") ?? 0 }))
    .sort((a, b) => comparePodsForDeletion(a, b, now))
    .slice(0, count)
    .map((ranked) => ranked.pod);
}

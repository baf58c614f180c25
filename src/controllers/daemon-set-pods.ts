/**
 * The DaemonSet controller's decisions, as pure functions over DaemonSets, Nodes and
 * pods (upstream's pkg/controller/daemon and its util package): which nodes should run
 * a daemon pod, what the pod looks like, which pods go, and how a rolling update moves.
 */
import type { KubeObject } from "../resources/kind.ts";
import { isPodAvailable, isPodReady } from "./active-pods.ts";
import { CONTROLLER_REVISION_HASH_LABEL } from "./controller-revisions.ts";
import {
  matchesPodNodeAffinity,
  type NodeSelector,
  nodeTaints,
  type SchedulingSpec,
  type Toleration,
  untoleratedTaint,
} from "./node-selectors.ts";

/** apps/v1 keeps the template generation in this annotation (see the kind). */
export const TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";
/** The pod label carrying the template generation a daemon pod was made from. */
export const POD_TEMPLATE_GENERATION_LABEL = "pod-template-generation";

export interface DaemonSetSpec {
  selector?: unknown;
  template?: { metadata?: { labels?: Record<string, string> }; spec?: SchedulingSpec };
  updateStrategy?: {
    type?: string;
    rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
  };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export const dsSpec = (ds: KubeObject) => (ds.spec ?? {}) as DaemonSetSpec;

/**
 * The tolerations every daemon pod gets (upstream's AddOrUpdateDaemonPodTolerations):
 * daemons stay on nodes that are not ready, unreachable, under pressure or cordoned.
 */
export function daemonTolerations(spec: SchedulingSpec): Toleration[] {
  const tolerations: Toleration[] = [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
  ];
  if (spec.hostNetwork) {
    tolerations.push({
      key: "node.kubernetes.io/network-unavailable",
      operator: "Exists",
      effect: "NoSchedule",
    });
  }
  return tolerations;
}

/** Adds the daemon tolerations the spec lacks; an identical one is not added twice. */
export function addDaemonTolerations(spec: SchedulingSpec): void {
  const tolerations = [...(spec.tolerations ?? [])];
  for (const wanted of daemonTolerations(spec)) {
    const same = tolerations.some(
      (t) =>
        (t.key ?? "") === wanted.key &&
        (t.operator ?? "Equal") === wanted.operator &&
        (t.value ?? "") === "" &&
        (t.effect ?? "") === wanted.effect,
    );
    if (!same) tolerations.push(wanted);
  }
  spec.tolerations = tolerations;
}

/**
 * Pins a pod to one node through the scheduler (upstream's
 * ReplaceDaemonSetPodNodeNameNodeAffinity): the required node affinity becomes the one
 * term `metadata.name In [node]`; the controller has already checked the template's own.
 */
export function pinToNode(spec: SchedulingSpec, nodeName: string): void {
  const pinned: NodeSelector = {
    nodeSelectorTerms: [
      { matchFields: [{ key: "metadata.name", operator: "In", values: [nodeName] }] },
    ],
  };
  const affinity = spec.affinity ?? {};
  affinity.nodeAffinity = {
    ...(affinity.nodeAffinity ?? {}),
    requiredDuringSchedulingIgnoredDuringExecution: pinned,
  };
  spec.affinity = affinity;
}

/** The node a daemon pod is for: its nodeName, or the node its affinity pins it to. */
export function targetNodeName(pod: KubeObject): string | undefined {
  const spec = (pod.spec ?? {}) as SchedulingSpec;
  if (spec.nodeName) return spec.nodeName;
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const field of term.matchFields ?? []) {
      if (field.key === "metadata.name" && field.operator === "In" && field.values?.length === 1) {
        return field.values[0];
      }
    }
  }
  return undefined;
}

export function templateGeneration(ds: KubeObject): string | undefined {
  return ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
}

/** The pod template a daemon pod is made from: tolerations added, generation and hash labelled. */
export function daemonPodTemplate(ds: KubeObject, hash: string) {
  const template = structuredClone(dsSpec(ds).template ?? {});
  const spec = template.spec ?? {};
  addDaemonTolerations(spec);
  template.spec = spec;
  const labels = { ...(template.metadata?.labels ?? {}) };
  const generation = templateGeneration(ds);
  if (generation !== undefined) labels[POD_TEMPLATE_GENERATION_LABEL] = generation;
  if (hash) labels[CONTROLLER_REVISION_HASH_LABEL] = hash;
  template.metadata = { ...(template.metadata ?? {}), labels };
  return template;
}

export interface ShouldRun {
  /** A daemon pod should be created on the node. */
  shouldRun: boolean;
  /** A daemon pod already on the node may stay. */
  shouldContinueRunning: boolean;
}

/**
 * Upstream's NodeShouldRunDaemonPod: the node must match the template's nodeName,
 * nodeSelector and required affinity, and its taints must be tolerated (with the daemon
 * tolerations); a pod that tolerates every NoExecute taint may stay where it runs.
 */
export function nodeShouldRunDaemonPod(ds: KubeObject, node: KubeObject): ShouldRun {
  const spec = structuredClone(dsSpec(ds).template?.spec ?? {});
  addDaemonTolerations(spec);
  const name = node.metadata?.name ?? "";
  if (spec.nodeName && spec.nodeName !== name)
    return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesPodNodeAffinity(spec, node))
    return { shouldRun: false, shouldContinueRunning: false };
  const taints = nodeTaints(node);
  const tolerations = spec.tolerations ?? [];
  const blocking = untoleratedTaint(
    taints,
    tolerations,
    (t) => t.effect === "NoSchedule" || t.effect === "NoExecute",
  );
  if (!blocking) return { shouldRun: true, shouldContinueRunning: true };
  const evicting = untoleratedTaint(taints, tolerations, (t) => t.effect === "NoExecute");
  return { shouldRun: false, shouldContinueRunning: evicting === undefined };
}

/** Pods made from the current template: by revision hash, or by template generation. */
export function isPodUpdated(pod: KubeObject, hash: string, generation: string | undefined) {
  const labels = pod.metadata?.labels ?? {};
  const templateMatches =
    generation !== undefined && labels[POD_TEMPLATE_GENERATION_LABEL] === generation;
  const hashMatches = hash !== "" && labels[CONTROLLER_REVISION_HASH_LABEL] === hash;
  return hashMatches || templateMatches;
}

export const podPhase = (pod: KubeObject): string =>
  (pod.status as { phase?: string } | undefined)?.phase ?? "";

export const isPodTerminal = (pod: KubeObject): boolean =>
  podPhase(pod) === "Succeeded" || podPhase(pod) === "Failed";

/** Oldest first, with running pods before pending ones of the same age (upstream's sort). */
export function byCreationAndPhase(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  if (ta === tb) {
    const ra = podPhase(a) === "Running" ? 0 : 1;
    const rb = podPhase(b) === "Running" ? 0 : 1;
    if (ra !== rb) return ra - rb;
  }
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

export const allowsSurge = (ds: KubeObject): boolean =>
  dsSpec(ds).updateStrategy?.type === "RollingUpdate" &&
  scaledValue(dsSpec(ds).updateStrategy?.rollingUpdate?.maxSurge, 1) > 0;

/** An int-or-percent as a count of `total`, percentages rounded up (upstream's choice). */
export function scaledValue(value: number | string | undefined, total: number): number {
  if (value === undefined) return 0;
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(value);
  if (match) return Math.ceil((Number(match[1]) * total) / 100);
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : 0;
}

export interface NodePlan {
  /** The node needs a daemon pod. */
  create: boolean;
  /** Names of the node's daemon pods to delete. */
  delete: string[];
  /** Failed pods found (each is deleted, and an event says so). */
  failed: KubeObject[];
}

/** Upstream's podsShouldBeOnNode: what the core loop does on one node. */
export function podsShouldBeOnNode(
  ds: KubeObject,
  node: KubeObject,
  daemonPods: readonly KubeObject[],
  hash: string,
): NodePlan {
  const plan: NodePlan = { create: false, delete: [], failed: [] };
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(ds, node);
  const exists = daemonPods.length > 0;
  if (shouldRun && !exists) {
    plan.create = true;
  } else if (shouldContinueRunning) {
    const running: KubeObject[] = [];
    for (const pod of daemonPods) {
      if (pod.metadata?.deletionTimestamp) continue;
      const phase = podPhase(pod);
      if (phase === "Failed") {
        plan.failed.push(pod);
        plan.delete.push(pod.metadata?.name ?? "");
      } else if (phase === "Succeeded") {
        plan.delete.push(pod.metadata?.name ?? "");
      } else {
        running.push(pod);
      }
    }
    running.sort(byCreationAndPhase);
    if (!allowsSurge(ds)) {
      // More than one pod: keep the oldest.
      for (const pod of running.slice(1)) plan.delete.push(pod.metadata?.name ?? "");
    } else {
      // Surging: keep the oldest updated pod and the oldest old one.
      let newKept = false;
      let oldKept = false;
      for (const pod of running) {
        const updated = pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
        if (updated && !newKept) newKept = true;
        else if (!updated && !oldKept) oldKept = true;
        else plan.delete.push(pod.metadata?.name ?? "");
      }
    }
  } else if (exists) {
    for (const pod of daemonPods) {
      if (!pod.metadata?.deletionTimestamp) plan.delete.push(pod.metadata?.name ?? "");
    }
  }
  return plan;
}

/** The node's updated and old pod; not ok when there are two of either. */
export function findUpdatedPodsOnNode(
  ds: KubeObject,
  pods: readonly KubeObject[],
  hash: string,
): { newPod?: KubeObject; oldPod?: KubeObject; ok: boolean } {
  let newPod: KubeObject | undefined;
  let oldPod: KubeObject | undefined;
  const generation = templateGeneration(ds);
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

export interface RollingUpdatePlan {
  deletePods: string[];
  createOnNodes: string[];
}

/**
 * One step of a rolling update (upstream's rollingUpdate). Without surge, old pods are
 * deleted while no more than maxUnavailable nodes lack an available pod, and the core
 * loop replaces them; with surge, new pods start next to available old ones (at most
 * maxSurge at a time) and an old pod goes once its replacement is available.
 */
export function planRollingUpdate(
  ds: KubeObject,
  nodes: readonly KubeObject[],
  podsByNode: ReadonlyMap<string, KubeObject[]>,
  hash: string,
  now = Date.now(),
): RollingUpdatePlan {
  const minReady = dsSpec(ds).minReadySeconds ?? 0;
  const available = (pod: KubeObject) => isPodAvailable(pod, minReady, new Date(now));
  const byNode = new Map(podsByNode);
  const nodeByName = new Map(nodes.map((n) => [n.metadata?.name ?? "", n]));
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(ds, node).shouldRun) continue;
    desired++;
    const name = node.metadata?.name ?? "";
    if (!byNode.has(name)) byNode.set(name, []);
  }
  const rollingUpdate = dsSpec(ds).updateStrategy?.rollingUpdate ?? {};
  let maxUnavailable = scaledValue(rollingUpdate.maxUnavailable, desired);
  const maxSurge = scaledValue(rollingUpdate.maxSurge, desired);
  // An impossible configuration falls back to one unavailable at a time.
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;

  if (maxSurge === 0) {
    let unavailable = 0;
    const replacements: string[] = [];
    const candidates: string[] = [];
    for (const pods of byNode.values()) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, pods, hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        // The core loop fixes this node; until then it counts as unavailable.
        unavailable++;
      } else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) replacements.push(oldPod.metadata?.name ?? "");
        else if (unavailable < maxUnavailable) candidates.push(oldPod.metadata?.name ?? "");
      }
    }
    const room = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
    return { deletePods: [...replacements, ...candidates.slice(0, room)], createOnNodes: [] };
  }

  const deletePods: string[] = [];
  const shouldNotRun: string[] = [];
  const candidates: string[] = [];
  const allowed: string[] = [];
  let surging = 0;
  let numAvailable = 0;
  for (const [nodeName, pods] of byNode) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, pods, hash);
    if (!ok) {
      surging++;
      continue;
    }
    if ((oldPod && available(oldPod)) || (newPod && available(newPod))) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        const node = nodeByName.get(nodeName);
        if (!node || !nodeShouldRunDaemonPod(ds, node).shouldRun) {
          shouldNotRun.push(oldPod.metadata?.name ?? "");
          continue;
        }
        allowed.push(nodeName);
      } else if (surging < maxSurge) {
        candidates.push(nodeName);
      }
    } else if (!available(newPod)) {
      surging++;
    } else {
      deletePods.push(oldPod.metadata?.name ?? "");
    }
  }
  // Pods on nodes that should not run one go only while enough others are available.
  const deletable = Math.min(Math.max(numAvailable - desired, 0), shouldNotRun.length);
  deletePods.push(...shouldNotRun.slice(0, deletable));
  const room = Math.min(Math.max(maxSurge - surging, 0), candidates.length);
  return { deletePods, createOnNodes: [...allowed, ...candidates.slice(0, room)] };
}

export interface DaemonSetStatusCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  numberAvailable: number;
  updatedNumberScheduled: number;
  numberUnavailable: number;
}

/** Upstream's updateDaemonSetStatus counts, from the oldest pod on each node. */
export function daemonSetCounts(
  ds: KubeObject,
  nodes: readonly KubeObject[],
  podsByNode: ReadonlyMap<string, KubeObject[]>,
  hash: string,
  now = Date.now(),
): DaemonSetStatusCounts {
  const minReady = dsSpec(ds).minReadySeconds ?? 0;
  const generation = templateGeneration(ds);
  const counts: DaemonSetStatusCounts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    numberAvailable: 0,
    updatedNumberScheduled: 0,
    numberUnavailable: 0,
  };
  for (const node of nodes) {
    const pods = podsByNode.get(node.metadata?.name ?? "") ?? [];
    const scheduled = pods.length > 0;
    if (!nodeShouldRunDaemonPod(ds, node).shouldRun) {
      if (scheduled) counts.numberMisscheduled++;
      continue;
    }
    counts.desiredNumberScheduled++;
    if (!scheduled) continue;
    counts.currentNumberScheduled++;
    const pod = [...pods].sort(byCreationAndPhase)[0] as KubeObject;
    if (isPodReady(pod)) {
      counts.numberReady++;
      if (isPodAvailable(pod, minReady, new Date(now))) counts.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) counts.updatedNumberScheduled++;
  }
  counts.numberUnavailable = counts.desiredNumberScheduled - counts.numberAvailable;
  return counts;
}

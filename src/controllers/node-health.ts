/**
 * The node lifecycle controller's judgements as pure functions (upstream's
 * nodelifecycle tryUpdateNodeHealth, TaintNodesByCondition and ComputeZoneState):
 * when a node's heartbeat is too old, which conditions turn Unknown, which taints a
 * node's conditions call for, and how disrupted a zone is.
 */
import { isDeepStrictEqual } from "node:util";
import type { KubeObject } from "../resources/kind.ts";
import { eventTimestamp } from "./events.ts";

export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
export const TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
export const TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure";
export const TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure";
export const TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure";
export const TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable";

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface NodeCondition {
  type: string;
  status: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_UNREACHABLE, effect: "NoExecute" };
export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NOT_READY, effect: "NoExecute" };

/** Which NoSchedule taint a condition in a given status calls for (upstream's map). */
const conditionTaints: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};
const conditionTaintKeys = new Set(
  Object.values(conditionTaints).flatMap((statuses) => Object.values(statuses)),
);

/** The conditions the controller turns Unknown; NetworkUnavailable belongs to the network plugin. */
const MONITORED_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

export function nodeConditions(node: KubeObject): NodeCondition[] {
  const conditions = (node.status as { conditions?: NodeCondition[] } | undefined)?.conditions;
  return Array.isArray(conditions) ? conditions : [];
}

export function readyCondition(node: KubeObject): NodeCondition | undefined {
  return nodeConditions(node).find((c) => c.type === "Ready");
}

export function nodeTaints(node: KubeObject): Taint[] {
  const taints = (node.spec as { taints?: Taint[] } | undefined)?.taints;
  return Array.isArray(taints) ? taints : [];
}

/** Upstream's MatchTaint: the same key and effect (values and times aside). */
export const sameTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;

/**
 * The NoSchedule taints a node's conditions and spec.unschedulable call for
 * (upstream's doNoScheduleTaintingPass), and those the node carries that no longer apply.
 */
export function noScheduleTaintChanges(node: KubeObject): { add: Taint[]; remove: Taint[] } {
  const wanted: Taint[] = [];
  for (const condition of nodeConditions(node)) {
    const key = conditionTaints[condition.type]?.[condition.status];
    if (key) wanted.push({ key, effect: "NoSchedule" });
  }
  if ((node.spec as { unschedulable?: boolean } | undefined)?.unschedulable) {
    wanted.push({ key: TAINT_UNSCHEDULABLE, effect: "NoSchedule" });
  }
  const managed = nodeTaints(node).filter(
    (t) =>
      t.effect === "NoSchedule" && (t.key === TAINT_UNSCHEDULABLE || conditionTaintKeys.has(t.key)),
  );
  return {
    add: wanted.filter((w) => !managed.some((t) => sameTaint(t, w))),
    remove: managed.filter((t) => !wanted.some((w) => sameTaint(t, w))),
  };
}

/**
 * The taints after removing `remove` and adding `add` (stamped with `now`, as
 * upstream's SwapNodeControllerTaint does); undefined when nothing changes.
 */
export function swappedTaints(
  taints: readonly Taint[],
  add: readonly Taint[],
  remove: readonly Taint[],
  now: Date,
): Taint[] | undefined {
  const kept = taints.filter((t) => !remove.some((r) => sameTaint(t, r)));
  const added = add
    .filter((a) => !kept.some((t) => sameTaint(t, a)))
    .map((a) => ({ ...a, timeAdded: eventTimestamp(now) }));
  if (kept.length === taints.length && added.length === 0) return undefined;
  return [...kept, ...added];
}

/** What the controller remembers of a node between passes (upstream's nodeHealthData). */
export interface NodeHealth {
  /** The last time (ms) the node showed signs of life: a new heartbeat or Lease renewal. */
  probeTimestamp: number;
  /** The Ready condition as last seen, undefined when the node had none. */
  ready: NodeCondition | undefined;
  /** The Lease's renewTime as last seen. */
  leaseRenewTime?: string;
}

export interface HealthOptions {
  /** How long without a sign of life before the node's conditions turn Unknown. */
  gracePeriodMs: number;
  /** The same for a node that has never posted a Ready condition. */
  startupGracePeriodMs: number;
}

export interface HealthAssessment {
  health: NodeHealth;
  /** The Ready condition as the node reported it (a stand-in Unknown one when absent). */
  observedReady: NodeCondition;
  /** The Ready condition after this assessment; undefined when the node has none. */
  currentReady: NodeCondition | undefined;
  /** Conditions to write to the node's status, when they changed. */
  conditions?: NodeCondition[];
}

/**
 * Upstream's tryUpdateNodeHealth. A node seen for the first time gets a full grace
 * period from now (so a new leader does not condemn every node at once); a changed
 * Ready heartbeat or a renewed Lease counts as a sign of life. Past the grace period
 * the monitored conditions turn Unknown ("Kubelet stopped posting node status.").
 */
export function assessNodeHealth(
  node: KubeObject,
  saved: NodeHealth | undefined,
  leaseRenewTime: string | undefined,
  now: number,
  options: HealthOptions,
): HealthAssessment {
  const created = node.metadata?.creationTimestamp ?? eventTimestamp(new Date(now));
  const createdMs = Date.parse(created);
  const current = readyCondition(node);
  let health: NodeHealth;
  let observedReady: NodeCondition;
  let gracePeriodMs: number;
  if (!current) {
    // Never posted: judge from its creation, with the longer start-up grace.
    observedReady = {
      type: "Ready",
      status: "Unknown",
      lastHeartbeatTime: created,
      lastTransitionTime: created,
    };
    gracePeriodMs = options.startupGracePeriodMs;
    health = saved
      ? { ...saved, ready: undefined }
      : { probeTimestamp: createdMs, ready: undefined };
  } else {
    observedReady = { ...current };
    gracePeriodMs = options.gracePeriodMs;
    if (!saved || !saved.ready) {
      health = { probeTimestamp: now, ready: { ...current } };
      if (saved?.leaseRenewTime) health.leaseRenewTime = saved.leaseRenewTime;
    } else if (saved.ready.lastHeartbeatTime !== current.lastHeartbeatTime) {
      health = { ...saved, probeTimestamp: now, ready: { ...current } };
    } else {
      health = { ...saved };
    }
  }
  // Even a node that never posted its status is alive while it renews its Lease.
  if (leaseRenewTime && leaseRenewTime !== health.leaseRenewTime) {
    health.leaseRenewTime = leaseRenewTime;
    health.probeTimestamp = now;
  }
  if (now <= health.probeTimestamp + gracePeriodMs) {
    return { health, observedReady, currentReady: current };
  }
  const stamp = eventTimestamp(new Date(now));
  const conditions = nodeConditions(node).map((c) => ({ ...c }));
  for (const type of MONITORED_CONDITIONS) {
    const condition = conditions.find((c) => c.type === type);
    if (!condition) {
      conditions.push({
        type,
        status: "Unknown",
        reason: "NodeStatusNeverUpdated",
        message: "Kubelet never posted node status.",
        lastHeartbeatTime: created,
        lastTransitionTime: stamp,
      });
    } else if (condition.status !== "Unknown") {
      condition.status = "Unknown";
      condition.reason = "NodeStatusUnknown";
      condition.message = "Kubelet stopped posting node status.";
      condition.lastTransitionTime = stamp;
    }
  }
  const currentReady = conditions.find((c) => c.type === "Ready");
  if (isDeepStrictEqual(currentReady, observedReady)) {
    return { health, observedReady, currentReady };
  }
  return {
    health: { ...health, ready: currentReady && { ...currentReady } },
    observedReady,
    currentReady,
    conditions,
  };
}

export type ZoneState = "Initial" | "Normal" | "PartialDisruption" | "FullDisruption";

/**
 * Upstream's ComputeZoneState: a zone with no Ready node is fully disrupted; one with
 * more than two not-Ready nodes making up at least `unhealthyThreshold` of it is
 * partially disrupted (a network split, not dying machines, is the likely cause).
 */
export function zoneState(
  readyStatuses: readonly (string | undefined)[],
  unhealthyThreshold: number,
): ZoneState {
  const ready = readyStatuses.filter((s) => s === "True").length;
  const notReady = readyStatuses.length - ready;
  if (ready === 0 && notReady > 0) return "FullDisruption";
  if (notReady > 2 && notReady / readyStatuses.length >= unhealthyThreshold) {
    return "PartialDisruption";
  }
  return "Normal";
}

/** Upstream's GetZoneKey: region and zone labels; "" when the node has neither. */
export function zoneKey(node: KubeObject): string {
  const labels = node.metadata?.labels ?? {};
  const region =
    labels["topology.kubernetes.io/region"] ??
    labels["failure-domain.beta.kubernetes.io/region"] ??
    "";
  const zone =
    labels["topology.kubernetes.io/zone"] ?? labels["failure-domain.beta.kubernetes.io/zone"] ?? "";
  if (region === "" && zone === "") return "";
  return `${region}:\u0000:${zone}`;
}

/**
 * A token bucket (client-go's flowcontrol.NewTokenBucketRateLimiter): `qps` tokens a
 * second up to `burst`, starting full; a qps of 0 accepts nothing.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly qps: number,
    private readonly burst = 1,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * A Deployment's status (upstream's sync.go calculateStatus and progress.go): counters
 * summed over its ReplicaSets, and the Available and Progressing conditions with
 * upstream's reasons and messages, which `kubectl rollout status` reads. Pure functions.
 */
import {
  type Deployment,
  type DeploymentCondition,
  type DeploymentStatus,
  hasProgressDeadline,
  maxUnavailable,
  specReplicas,
  totalActualReplicas,
  totalAvailableReplicas,
  totalReadyReplicas,
  totalSpecReplicas,
} from "./deployment-util.ts";
import { eventTimestamp } from "./events.ts";
import type { ReplicaSet } from "./replica-set-status.ts";

export const Reasons = {
  replicaSetUpdated: "ReplicaSetUpdated",
  failedCreate: "ReplicaSetCreateError",
  newReplicaSet: "NewReplicaSetCreated",
  foundNewReplicaSet: "FoundNewReplicaSet",
  newReplicaSetAvailable: "NewReplicaSetAvailable",
  timedOut: "ProgressDeadlineExceeded",
  paused: "DeploymentPaused",
  resumed: "DeploymentResumed",
  minimumReplicasAvailable: "MinimumReplicasAvailable",
  minimumReplicasUnavailable: "MinimumReplicasUnavailable",
} as const;

export function getCondition(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: Date,
): DeploymentCondition {
  const time = eventTimestamp(now);
  return { type, status, lastUpdateTime: time, lastTransitionTime: time, reason, message };
}

/**
 * Sets a condition; one with the same status and reason is left alone, and a change of
 * reason alone keeps the lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) {
    return;
  }
  const next = { ...condition };
  if (current && current.status === condition.status) {
    next.lastTransitionTime = current.lastTransitionTime;
  }
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  const kept = (status.conditions ?? []).filter((c) => c.type !== type);
  if (kept.length) status.conditions = kept;
  else delete status.conditions;
}

/** Counters from the ReplicaSets, and the Available condition (upstream's calculateStatus). */
export function calculateStatus(
  allRSs: ReplicaSet[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  now: Date,
): DeploymentStatus {
  const available = totalAvailableReplicas(allRSs);
  const unavailable = Math.max(0, totalSpecReplicas(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation,
    replicas: totalActualReplicas(allRSs),
    updatedReplicas: totalActualReplicas([newRS]),
    readyReplicas: totalReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    collisionCount: d.status?.collisionCount,
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
  };
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition(
        "Available",
        "True",
        Reasons.minimumReplicasAvailable,
        "Deployment has minimum availability.",
        now,
      ),
    );
  } else {
    setCondition(
      status,
      newCondition(
        "Available",
        "False",
        Reasons.minimumReplicasUnavailable,
        "Deployment does not have minimum availability.",
        now,
      ),
    );
  }
  return withoutZeros(status);
}

/** The status as upstream's JSON has it: zero counters and absent fields left out. */
export function withoutZeros(status: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  for (const [key, value] of Object.entries(status)) {
    if (value === undefined || value === null || value === 0) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}

/** Every replica updated and available, none old left, and the latest spec observed. */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = specReplicas(d);
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** New pods added, ready or available, or old ones gone since the last status. */
export function deploymentProgressing(d: Deployment, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** No progress reported for progressDeadlineSeconds (or already reported as timed out). */
export function deploymentTimedOut(d: Deployment, status: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const condition = getCondition(status, "Progressing");
  if (!condition) return false;
  if (condition.reason === Reasons.newReplicaSetAvailable) return false;
  if (condition.reason === Reasons.timedOut) return true;
  const from = Date.parse(condition.lastUpdateTime ?? "");
  if (Number.isNaN(from)) return false;
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < now.getTime();
}

/**
 * The status a rollout step leaves (upstream's syncRolloutStatus): the counters, and a
 * Progressing condition saying the rollout is complete, progressing (which refreshes
 * lastUpdateTime), or stuck past progressDeadlineSeconds; a ReplicaSet's
 * ReplicaFailure condition is carried over.
 */
export function rolloutStatus(
  allRSs: ReplicaSet[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  now: Date,
): DeploymentStatus {
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, "Progressing");
  const current = getCondition(d.status, "Progressing");
  const complete =
    status.replicas === status.updatedReplicas &&
    current?.reason === Reasons.newReplicaSetAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS
      ? `ReplicaSet ${JSON.stringify(newRS.metadata?.name ?? "")}`
      : `Deployment ${JSON.stringify(d.metadata?.name ?? "")}`;
    if (deploymentComplete(d, status)) {
      const message = `${subject} has successfully progressed.`;
      setCondition(
        status,
        newCondition("Progressing", "True", Reasons.newReplicaSetAvailable, message, now),
      );
    } else if (deploymentProgressing(d, status)) {
      const message = `${subject} is progressing.`;
      const condition = newCondition(
        "Progressing",
        "True",
        Reasons.replicaSetUpdated,
        message,
        now,
      );
      // Progress refreshes lastUpdateTime even with the same reason.
      if (current?.status === "True") condition.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, "Progressing");
      setCondition(status, condition);
    } else if (deploymentTimedOut(d, status, now)) {
      const message = `${subject} has timed out progressing.`;
      setCondition(status, newCondition("Progressing", "False", Reasons.timedOut, message, now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, "ReplicaFailure");
  return withoutZeros(status);
}

/** A ReplicaSet's ReplicaFailure condition, the new one's first (upstream's getReplicaFailures). */
function replicaFailure(
  allRSs: ReplicaSet[],
  newRS: ReplicaSet | undefined,
): DeploymentCondition | undefined {
  for (const rs of newRS ? [newRS, ...allRSs] : allRSs) {
    const c = rs.status?.conditions?.find((condition) => condition.type === "ReplicaFailure");
    if (c) {
      return {
        type: c.type,
        status: c.status,
        lastUpdateTime: c.lastTransitionTime,
        lastTransitionTime: c.lastTransitionTime,
        reason: c.reason,
        message: c.message,
      };
    }
  }
  return undefined;
}

/**
 * A ReplicaSet's shape (ReplicationControllers share it, with a label-map selector) and
 * the status it reports for the pods it controls (upstream's replica_set_utils.go).
 */
import type { KubeObject } from "../resources/kind.ts";
import type { MetaV1LabelSelector } from "../resources/labels/label-selector.ts";
import { isPodAvailable, isPodReady, type Pod } from "./active-pods.ts";

export interface PodTemplate {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: Record<string, unknown>;
}

export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** A ReplicaSet, or a ReplicationController (whose selector is a plain label map). */
export interface ReplicaSet extends KubeObject {
  spec?: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: MetaV1LabelSelector;
    template?: PodTemplate;
    [field: string]: unknown;
  };
  status?: ReplicaSetStatus;
}

/**
 * The status a ReplicaSet reports for its claimed active pods, with a ReplicaFailure
 * condition while creating or deleting fails (upstream's calculateStatus). Counters
 * other than `replicas` are left out at zero, as upstream's JSON omits them.
 */
export function replicaSetStatus(
  rs: ReplicaSet,
  pods: Pod[],
  manageError: unknown,
  now: Date,
): ReplicaSetStatus {
  const templateLabels = Object.entries(rs.spec?.template?.metadata?.labels ?? {});
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata?.labels ?? {};
    if (templateLabels.every(([key, value]) => labels[key] === value)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  let conditions = rs.status?.conditions ?? [];
  const failure = conditions.find((c) => c.type === "ReplicaFailure");
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 0);
    const reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "";
    conditions = [
      ...conditions,
      {
        type: "ReplicaFailure",
        status: "True",
        lastTransitionTime: now.toISOString().replace(/\.\d+Z$/, "Z"),
        reason,
        message: messageOf(manageError),
      },
    ];
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== "ReplicaFailure");
  }
  return {
    replicas: pods.length,
    ...(fullyLabeled ? { fullyLabeledReplicas: fullyLabeled } : {}),
    ...(ready ? { readyReplicas: ready } : {}),
    ...(available ? { availableReplicas: available } : {}),
    ...(rs.status?.observedGeneration !== undefined
      ? { observedGeneration: rs.status.observedGeneration }
      : {}),
    ...(conditions.length ? { conditions } : {}),
  };
}

/** Whether writing `status` would change nothing: counters, conditions, observed generation. */
export function isStatusCurrent(rs: ReplicaSet, status: ReplicaSetStatus): boolean {
  const old = rs.status ?? {};
  return (
    (old.replicas ?? 0) === (status.replicas ?? 0) &&
    (old.fullyLabeledReplicas ?? 0) === (status.fullyLabeledReplicas ?? 0) &&
    (old.readyReplicas ?? 0) === (status.readyReplicas ?? 0) &&
    (old.availableReplicas ?? 0) === (status.availableReplicas ?? 0) &&
    old.observedGeneration === rs.metadata?.generation &&
    JSON.stringify(old.conditions ?? []) === JSON.stringify(status.conditions ?? [])
  );
}

/** An error as upstream's events print it (`%v`). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

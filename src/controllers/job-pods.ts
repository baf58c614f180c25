/**
 * What the Job controller asks of its pods (upstream's job utils): which count as
 * failed, when they finished and how long to wait before replacing one, which go
 * first when there are too many, and the completion indexes of an Indexed Job.
 * Pure functions over Job and Pod JSON.
 */
import type { KubeObject } from "../resources/kind.ts";
import { isPodActive, isPodReady } from "./active-pods.ts";

export const JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";
export const COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
/** Upstream's pod re-creation back-off after failures: 10 s, doubling, at most 6 min. */
const DEFAULT_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 360_000;
/** generateName plus the 5 random characters must stay a valid pod name. */
const MAX_GENERATED_NAME_LENGTH = 58;

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  suspend?: boolean;
  completionMode?: string;
  podReplacementPolicy?: string;
  podFailurePolicy?: unknown;
  template?: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
}

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

export const specOf = (job: KubeObject) => (job.spec ?? {}) as JobSpec;
export const isIndexed = (job: KubeObject) => specOf(job).completionMode === "Indexed";
export const completionsOf = (job: KubeObject) => specOf(job).completions ?? 0;
export const podPhase = (pod: KubeObject) =>
  (pod.status as { phase?: string } | undefined)?.phase ?? "";
export const isPodTerminal = (pod: KubeObject) => ["Succeeded", "Failed"].includes(podPhase(pod));

export const hasTrackingFinalizer = (pod: KubeObject) =>
  pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) === true;

/** With podReplacementPolicy Failed (or a pod failure policy), only failed pods are replaced. */
export function onlyReplaceFailedPods(job: KubeObject): boolean {
  const spec = specOf(job);
  return spec.podReplacementPolicy === "Failed" || spec.podFailurePolicy != null;
}

/** Failed, or (unless only failed pods count) deleted before it could succeed. */
export function isPodFailed(pod: KubeObject, job: KubeObject): boolean {
  if (podPhase(pod) === "Failed") return true;
  if (onlyReplaceFailedPods(job)) return false;
  return Boolean(pod.metadata?.deletionTimestamp) && podPhase(pod) !== "Succeeded";
}

/** With restartPolicy OnFailure, container restarts count against the backoff limit. */
export function pastBackoffLimitOnFailure(job: KubeObject, pods: KubeObject[]): boolean {
  const spec = specOf(job);
  if (
    (spec.template?.spec as { restartPolicy?: string } | undefined)?.restartPolicy !== "OnFailure"
  )
    return false;
  let restarts = 0;
  for (const pod of pods) {
    const phase = podPhase(pod);
    if (phase !== "Running" && phase !== "Pending") continue;
    const status = (pod.status ?? {}) as {
      initContainerStatuses?: { restartCount?: number }[];
      containerStatuses?: { restartCount?: number }[];
    };
    for (const s of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])])
      restarts += s.restartCount ?? 0;
  }
  const limit = spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

export function remainingBackoff(record: BackoffRecord, now: number): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  let backoff = DEFAULT_BACKOFF_MS;
  for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
    backoff *= 2;
    if (backoff >= MAX_BACKOFF_MS) {
      backoff = MAX_BACKOFF_MS;
      break;
    }
  }
  const elapsed = now - record.lastFailureTime;
  return backoff < elapsed ? 0 : backoff - elapsed;
}

/** When a pod finished: its last container's exit, else Ready turning False, else its deletion. */
export function finishTime(pod: KubeObject, now: number): number {
  const status = (pod.status ?? {}) as {
    containerStatuses?: { state?: { terminated?: { finishedAt?: string } } }[];
    conditions?: { type?: string; status?: string; lastTransitionTime?: string }[];
  };
  let latest = 0;
  for (const container of status.containerStatuses ?? []) {
    latest = Math.max(latest, Date.parse(container.state?.terminated?.finishedAt ?? "") || 0);
  }
  if (latest > 0) return latest;
  const ready = status.conditions?.find((c) => c.type === "Ready" && c.status === "False");
  const readyFalse = Date.parse(ready?.lastTransitionTime ?? "");
  if (readyFalse) return readyFalse;
  return Date.parse(pod.metadata?.deletionTimestamp ?? "") || now;
}

/** The pod's completion index when it is a valid one for the Job. */
export function validIndex(pod: KubeObject, job: KubeObject): number | undefined {
  const text = pod.metadata?.annotations?.[COMPLETION_INDEX] ?? "";
  if (!/^\d+$/.test(text)) return undefined;
  const index = Number(text);
  return index < completionsOf(job) ? index : undefined;
}

export const byIndex = (a: KubeObject, b: KubeObject) =>
  Number(a.metadata?.annotations?.[COMPLETION_INDEX] ?? -1) -
  Number(b.metadata?.annotations?.[COMPLETION_INDEX] ?? -1);

/** The lowest indexes that neither succeeded nor have an active (or awaited) pod. */
export function firstPendingIndexes(
  job: KubeObject,
  pods: KubeObject[],
  succeeded: Set<number>,
  count: number,
): number[] {
  const taken = new Set(succeeded);
  const busy = onlyReplaceFailedPods(job)
    ? pods.filter((pod) => !isPodTerminal(pod))
    : pods.filter((pod) => isPodActive(pod));
  for (const pod of busy) {
    const index = validIndex(pod, job);
    if (index !== undefined) taken.add(index);
  }
  const result: number[] = [];
  for (let i = 0; i < completionsOf(job) && result.length < count; i++) {
    if (!taken.has(i)) result.push(i);
  }
  return result;
}

/**
 * The active pods to delete: for an Indexed Job every pod without a valid index and
 * every duplicate of an index first, then at least `count` in upstream's ActivePods
 * order (unscheduled, pending, not ready, restarted, newer pods go first).
 */
export function activePodsForRemoval(
  job: KubeObject,
  pods: KubeObject[],
  count: number,
): KubeObject[] {
  const remove: KubeObject[] = [];
  let left = pods;
  if (isIndexed(job)) {
    left = [];
    const byIndexGroup = new Map<number, KubeObject[]>();
    for (const pod of pods) {
      const index = validIndex(pod, job);
      if (index === undefined) remove.push(pod);
      else byIndexGroup.set(index, [...(byIndexGroup.get(index) ?? []), pod]);
    }
    for (const group of byIndexGroup.values()) {
      const sorted = [...group].sort(activePodOrder);
      // Keep the most advanced pod of each index.
      remove.push(...sorted.slice(0, -1));
      left.push(sorted[sorted.length - 1] as KubeObject);
    }
  }
  if (remove.length < count) {
    remove.push(...[...left].sort(activePodOrder).slice(0, count - remove.length));
  }
  return remove;
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

export function activePodOrder(a: KubeObject, b: KubeObject): number {
  const nodeA = Boolean((a.spec as { nodeName?: string } | undefined)?.nodeName);
  const nodeB = Boolean((b.spec as { nodeName?: string } | undefined)?.nodeName);
  if (nodeA !== nodeB) return nodeA ? 1 : -1;
  const phase = (phaseRank[podPhase(a)] ?? 0) - (phaseRank[podPhase(b)] ?? 0);
  if (phase !== 0) return phase;
  if (isPodReady(a) !== isPodReady(b)) return isPodReady(a) ? 1 : -1;
  const restarts = restartCount(b) - restartCount(a);
  if (restarts !== 0) return restarts;
  // Newer pods first.
  return (b.metadata?.creationTimestamp ?? "").localeCompare(a.metadata?.creationTimestamp ?? "");
}

export function restartCount(pod: KubeObject): number {
  const statuses = (pod.status as { containerStatuses?: { restartCount?: number }[] } | undefined)
    ?.containerStatuses;
  return Math.max(0, ...(statuses ?? []).map((s) => s.restartCount ?? 0));
}

/** `<job>-<index>-`, the job name cut so that the index always fits. */
export function generateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = `${jobName}${suffix}`;
  if (prefix.length <= MAX_GENERATED_NAME_LENGTH) return prefix;
  return `${prefix.slice(0, MAX_GENERATED_NAME_LENGTH - suffix.length)}${suffix}`;
}

/** Every container reads its index from the pod's annotation as JOB_COMPLETION_INDEX. */
export function addCompletionIndexEnv(template: NonNullable<JobSpec["template"]>): void {
  template.spec ??= {};
  const spec = template.spec as {
    containers?: { env?: { name: string }[] }[];
    initContainers?: { env?: { name: string }[] }[];
  };
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (container.env?.some((env) => env.name === "JOB_COMPLETION_INDEX")) continue;
    container.env = [
      ...(container.env ?? []),
      {
        name: "JOB_COMPLETION_INDEX",
        valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } },
      } as { name: string },
    ];
  }
}

/** Parses status.completedIndexes ("1,3-5"), keeping indexes below `completions`. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const indexes = new Set<number>();
  for (const part of (text ?? "").split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) continue;
    const first = Number(match[1]);
    const last = Math.min(Number(match[2] ?? match[1]), completions - 1);
    for (let i = first; i <= last; i++) indexes.add(i);
  }
  return indexes;
}

/** Formats indexes as upstream does: ascending, runs of three or more as "a-b". */
export function formatIndexes(indexes: Set<number>): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const first = sorted[i] as number;
    const last = sorted[j] as number;
    if (first === last) parts.push(String(first));
    else parts.push(last === first + 1 ? `${first},${last}` : `${first}-${last}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** Upstream's newBackoffRecord: failures since the last success, and when the last was. */
export function newBackoffRecord(
  previous: BackoffRecord | undefined,
  succeeded: KubeObject[],
  failed: KubeObject[],
  now: number,
): BackoffRecord {
  const record = { ...(previous ?? { failuresAfterLastSuccess: 0 }) };
  const failedTimes = failed.map((pod) => finishTime(pod, now)).sort((a, b) => a - b);
  if (succeeded.length === 0) {
    if (failedTimes.length === 0) return record;
    record.failuresAfterLastSuccess += failedTimes.length;
    record.lastFailureTime = failedTimes[failedTimes.length - 1];
    return record;
  }
  const lastSuccess = Math.max(...succeeded.map((pod) => finishTime(pod, now)));
  const after = failedTimes.filter((time) => time > lastSuccess);
  return {
    failuresAfterLastSuccess: after.length,
    ...(after.length > 0 ? { lastFailureTime: after[after.length - 1] } : {}),
  };
}

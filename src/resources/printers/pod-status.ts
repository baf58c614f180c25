/**
 * The READY, STATUS and RESTARTS cells of a pod, with upstream's rules (printPod in
 * pkg/printers/internalversion). STATUS is not the phase: it is the most telling reason
 * found, in this order of precedence (later steps override earlier ones):
 *
 * 1. `status.reason` if set, else the phase; "SchedulingGated" while scheduling gates hold;
 * 2. the first init container that has not succeeded: "Init:<reason>", "Init:ExitCode:N",
 *    "Init:Signal:N", or "Init:i/n" (a started sidecar, restartPolicy Always, counts as
 *    done and towards READY);
 * 3. once initialised, the regular containers from last to first, so the first one
 *    listed wins: a waiting reason ("CrashLoopBackOff", "ErrImagePull"), a terminated
 *    reason ("Completed", "Error", or ExitCode/Signal), with "Completed" turned back into
 *    "Running" or "NotReady" while another container still runs;
 * 4. "Terminating" once deletionTimestamp is set and the phase is not terminal, or
 *    "Unknown" when the node controller marked the pod "NodeLost".
 *
 * RESTARTS counts the restarts of the containers that decided the status (init
 * containers while initialising, else regular containers and sidecars) and adds the age
 * of the most recent restart, "5 (3m ago)".
 */
import { parseTimestamp, timestampSince } from "./timestamp-since.ts";

interface ContainerState {
  waiting?: { reason?: string } | null;
  running?: { startedAt?: string | null } | null;
  terminated?: {
    exitCode?: number;
    signal?: number;
    reason?: string;
    finishedAt?: string | null;
  } | null;
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  started?: boolean | null;
  restartCount?: number;
  state?: ContainerState | null;
  lastState?: ContainerState | null;
}

interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
}

export interface PodJson {
  metadata?: { deletionTimestamp?: string | null } | null;
  spec?: {
    initContainers?: { name?: string; restartPolicy?: string }[] | null;
    containers?: unknown[] | null;
  } | null;
  status?: {
    phase?: string;
    reason?: string;
    conditions?: PodCondition[] | null;
    initContainerStatuses?: ContainerStatus[] | null;
    containerStatuses?: ContainerStatus[] | null;
  } | null;
}

export interface PodStatusCells {
  ready: string;
  status: string;
  restarts: string;
}

/** Set by the node lifecycle controller on pods of an unreachable node (NodeUnreachablePodReason). */
const nodeLostReason = "NodeLost";

/** Keeps the later of two restart times; finishedAt may be missing. */
function later(current: number | undefined, finishedAt: unknown): number | undefined {
  const at = parseTimestamp(finishedAt);
  if (at === undefined) return current;
  return current === undefined || at > current ? at : current;
}

function hasCondition(conditions: readonly PodCondition[], type: string): boolean {
  return conditions.some((c) => c.type === type && c.status === "True");
}

/** Only the first condition of a type counts, as upstream's isPodInitializedConditionTrue. */
function isInitialized(conditions: readonly PodCondition[]): boolean {
  return conditions.find((c) => c.type === "Initialized")?.status === "True";
}

export function podStatusCells(pod: PodJson, now: Date): PodStatusCells {
  const status = pod.status ?? {};
  const initSpecs = pod.spec?.initContainers ?? [];
  const conditions = status.conditions ?? [];
  const phase = status.phase ?? "";

  let reason = status.reason || phase;
  if (conditions.some((c) => c.type === "PodScheduled" && c.reason === "SchedulingGated")) {
    reason = "SchedulingGated";
  }

  const sidecarSpecs = initSpecs.filter((c) => c.restartPolicy === "Always");
  const sidecars = new Set(sidecarSpecs.map((c) => c.name ?? ""));
  const total = (pod.spec?.containers ?? []).length + sidecarSpecs.length;
  let ready = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: number | undefined;

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (const [index, container] of initStatuses.entries()) {
    const isSidecar = sidecars.has(container.name ?? "");
    restarts += container.restartCount ?? 0;
    lastRestart = later(lastRestart, container.lastState?.terminated?.finishedAt);
    if (isSidecar) {
      sidecarRestarts += container.restartCount ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, container.lastState?.terminated?.finishedAt);
    }
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (isSidecar && container.started === true) {
      if (container.ready) ready++;
      continue;
    }
    if (terminated) {
      if (terminated.reason) reason = `Init:${terminated.reason}`;
      else if (terminated.signal) reason = `Init:Signal:${terminated.signal}`;
      else reason = `Init:ExitCode:${terminated.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${index}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || isInitialized(conditions)) {
    // Init containers that ran to completion no longer matter; sidecars keep counting.
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i] as ContainerStatus;
      restarts += container.restartCount ?? 0;
      lastRestart = later(lastRestart, container.lastState?.terminated?.finishedAt);
      const terminated = container.state?.terminated;
      const waiting = container.state?.waiting;
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated?.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal
          ? `Signal:${terminated.signal}`
          : `ExitCode:${terminated.exitCode ?? 0}`;
      } else if (container.ready && container.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      reason = hasCondition(conditions, "Ready") ? "Running" : "NotReady";
    }
  }

  const deletionTimestamp = pod.metadata?.deletionTimestamp;
  if (deletionTimestamp !== undefined && deletionTimestamp !== null) {
    if (status.reason === nodeLostReason) reason = "Unknown";
    else if (phase !== "Succeeded" && phase !== "Failed") reason = "Terminating";
  }

  const restartText =
    restarts !== 0 && lastRestart !== undefined
      ? `${restarts} (${timestampSince(lastRestart, now)} ago)`
      : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

/**
 * Pod status as the kubelet reports it, computed from what the pod worker
 * knows about each container: phase, the four conditions, container statuses.
 * Pure: the worker decides, this only describes.
 */
import type { KubeObject } from "../../resources/kind.ts";

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        reason: string;
        signal?: number;
        message?: string;
        startedAt: string;
        finishedAt: string;
        containerID?: string;
      };
    };

export interface ContainerView {
  name: string;
  image: string;
  init: boolean;
  /** An init container with restartPolicy Always. */
  sidecar: boolean;
  state: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  containerId?: string;
  /** Will it run again (restart policy, back-off)? Decides Succeeded/Failed. */
  willRestart: boolean;
}

export interface PodView {
  containers: ContainerView[];
  initDone: boolean;
  /** Set when the pod was rejected (admission) or failed for good. */
  failed?: { reason: string; message: string };
  hostIp: string;
  podIp: string;
  startTime: string;
  /** Conditions' lastTransitionTime survives status recomputation. */
  previous: KubeObject["status"];
}

type Condition = { type: string; status: "True" | "False"; reason?: string; message?: string };

export function podStatus(view: PodView, now: string): Record<string, unknown> {
  const apps = view.containers.filter((c) => !c.init);
  const inits = view.containers.filter((c) => c.init);
  const phase = view.failed ? "Failed" : podPhase(view, apps);
  const containersReady = apps.length > 0 && apps.every((c) => c.ready);
  const notReady = apps.filter((c) => !c.ready).map((c) => c.name);
  const pendingInits = inits.filter((c) => !c.ready && !isCompleted(c)).map((c) => c.name);
  const conditions: Condition[] = [
    { type: "PodReadyToStartContainers", status: view.failed ? "False" : "True" },
    view.initDone || inits.length === 0
      ? { type: "Initialized", status: "True" }
      : {
          type: "Initialized",
          status: "False",
          reason: "ContainersNotInitialized",
          message: `containers with incomplete status: [${pendingInits.join(" ")}]`,
        },
    containersReady && phase === "Running"
      ? { type: "Ready", status: "True" }
      : {
          type: "Ready",
          status: "False",
          reason:
            phase === "Succeeded" || phase === "Failed" ? "PodCompleted" : "ContainersNotReady",
          message:
            phase === "Succeeded" || phase === "Failed"
              ? undefined
              : `containers with unready status: [${notReady.join(" ")}]`,
        },
    containersReady && phase === "Running"
      ? { type: "ContainersReady", status: "True" }
      : {
          type: "ContainersReady",
          status: "False",
          reason:
            phase === "Succeeded" || phase === "Failed" ? "PodCompleted" : "ContainersNotReady",
          message:
            phase === "Succeeded" || phase === "Failed"
              ? undefined
              : `containers with unready status: [${notReady.join(" ")}]`,
        },
    { type: "PodScheduled", status: "True" },
  ];
  const previous = (view.previous ?? {}) as {
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  };
  const stamped = conditions.map((condition) => {
    const before = previous.conditions?.find((c) => c.type === condition.type);
    const lastTransitionTime =
      before && before.status === condition.status && before.lastTransitionTime
        ? before.lastTransitionTime
        : now;
    const out: Record<string, unknown> = {
      type: condition.type,
      status: condition.status,
      lastProbeTime: null,
      lastTransitionTime,
    };
    if (condition.reason) out.reason = condition.reason;
    if (condition.message) out.message = condition.message;
    return out;
  });
  const status: Record<string, unknown> = {
    phase,
    conditions: stamped,
    hostIP: view.hostIp,
    hostIPs: [{ ip: view.hostIp }],
    podIP: view.podIp,
    podIPs: [{ ip: view.podIp }],
    startTime: view.startTime,
    containerStatuses: apps.map(containerStatus),
  };
  if (inits.length > 0) status.initContainerStatuses = inits.map(containerStatus);
  if (view.failed) {
    status.reason = view.failed.reason;
    status.message = view.failed.message;
  }
  const qos = (previous as { qosClass?: string }).qosClass;
  if (qos) status.qosClass = qos;
  return status;
}

function podPhase(view: PodView, apps: ContainerView[]): string {
  if (!view.initDone) return "Pending";
  if (apps.some((c) => "running" in c.state)) return "Running";
  if (apps.some((c) => c.willRestart)) {
    // Between restarts a pod that has started is still Running, as upstream.
    return apps.some((c) => c.restartCount > 0 || "terminated" in c.state) ? "Running" : "Pending";
  }
  const terminated = apps.filter((c) => "terminated" in c.state);
  if (terminated.length < apps.length) return "Pending";
  return terminated.every((c) => "terminated" in c.state && c.state.terminated.exitCode === 0)
    ? "Succeeded"
    : "Failed";
}

function isCompleted(c: ContainerView): boolean {
  return "terminated" in c.state && c.state.terminated.exitCode === 0;
}

function containerStatus(c: ContainerView): Record<string, unknown> {
  const status: Record<string, unknown> = {
    name: c.name,
    state: c.state,
    lastState: c.lastState ?? {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: "",
    started: c.started,
  };
  if (c.containerId) status.containerID = c.containerId;
  return status;
}

/**
 * The pod statuses a hollow node reports: Running and Ready as soon as the pod
 * is bound (every container "started" at once, init containers completed),
 * and, once the pod is being deleted, every container terminated with exit
 * code 0 and the pod Succeeded: the final status the kubelet writes before it
 * confirms the deletion.
 */
import type { KubeObject } from "../../resources/kind.ts";
import { recordList, recordOf, stringOf } from "../../resources/kinds/core/json-value.ts";
import { computePodQOS } from "../../resources/kinds/core/pod-qos.ts";
import { rfc3339 } from "../node/timestamps.ts";

export interface PodPlacement {
  hostIP: string;
  podIP: string;
}

interface ContainerSpec {
  name: string;
  image: string;
  /** "Always" for a sidecar init container, which keeps running. */
  restartPolicy: string;
}

function containers(pod: KubeObject, field: "containers" | "initContainers"): ContainerSpec[] {
  return recordList(recordOf(pod.spec)?.[field]).map((container) => ({
    name: stringOf(container.name),
    image: stringOf(container.image),
    restartPolicy: stringOf(container.restartPolicy),
  }));
}

export function hollowContainerId(pod: KubeObject, containerName: string): string {
  return `hollow://${pod.metadata?.uid ?? ""}/${containerName}`;
}

function condition(type: string, status: "True" | "False", now: string, reason?: string) {
  return {
    type,
    status,
    lastTransitionTime: now,
    ...(reason ? { reason } : {}),
  };
}

function existingStartTime(pod: KubeObject): string | undefined {
  const startTime = recordOf(pod.status)?.startTime;
  return typeof startTime === "string" && startTime !== "" ? startTime : undefined;
}

/** Whether the pod shows the Running status a hollow node gave it. */
export function isHollowRunning(pod: KubeObject): boolean {
  const status = recordOf(pod.status);
  if (stringOf(status?.phase) !== "Running") return false;
  const statuses = recordList(status?.containerStatuses);
  return (
    statuses.length === containers(pod, "containers").length &&
    statuses.every((s) => stringOf(s.containerID).startsWith("hollow://") && s.ready === true)
  );
}

export function isTerminal(pod: KubeObject): boolean {
  const phase = stringOf(recordOf(pod.status)?.phase);
  return phase === "Succeeded" || phase === "Failed";
}

/** The status of a pod whose containers all started now (a strategic merge patch body). */
export function runningPodStatus(pod: KubeObject, placement: PodPlacement, now: Date): KubeObject {
  const time = rfc3339(now);
  const startedAt = existingStartTime(pod) ?? time;
  const hostNetwork = recordOf(pod.spec)?.hostNetwork === true;
  const podIP = hostNetwork ? placement.hostIP : placement.podIP;
  const running = (container: ContainerSpec) => ({
    name: container.name,
    image: container.image,
    imageID: container.image,
    containerID: hollowContainerId(pod, container.name),
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt } },
  });
  const initContainerStatuses = containers(pod, "initContainers").map((container) =>
    container.restartPolicy === "Always"
      ? running(container)
      : {
          ...running(container),
          started: false,
          state: {
            terminated: {
              exitCode: 0,
              reason: "Completed",
              startedAt,
              finishedAt: startedAt,
              containerID: hollowContainerId(pod, container.name),
            },
          },
        },
  );
  const status = recordOf(pod.status);
  // The scheduler's condition stays as it is; a pod bound directly gets one, as the kubelet adds.
  const scheduled = recordList(status?.conditions).some((c) => c.type === "PodScheduled");
  return {
    status: {
      phase: "Running",
      conditions: [
        condition("PodReadyToStartContainers", "True", time),
        condition("Initialized", "True", time),
        condition("Ready", "True", time),
        condition("ContainersReady", "True", time),
        ...(scheduled ? [] : [condition("PodScheduled", "True", time)]),
      ],
      hostIP: placement.hostIP,
      hostIPs: [{ ip: placement.hostIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: startedAt,
      qosClass: stringOf(status?.qosClass) || computePodQOS(recordOf(pod.spec) ?? {}),
      ...(initContainerStatuses.length > 0 ? { initContainerStatuses } : {}),
      containerStatuses: containers(pod, "containers").map(running),
    },
  };
}

/** The final status of a pod being deleted: containers exited 0, phase Succeeded. */
export function terminatedPodStatus(pod: KubeObject, now: Date): KubeObject {
  const time = rfc3339(now);
  const startedAt = existingStartTime(pod) ?? time;
  const terminated = (container: ContainerSpec) => ({
    name: container.name,
    image: container.image,
    imageID: container.image,
    containerID: hollowContainerId(pod, container.name),
    ready: false,
    started: false,
    restartCount: 0,
    state: {
      terminated: {
        exitCode: 0,
        reason: "Completed",
        startedAt,
        finishedAt: time,
        containerID: hollowContainerId(pod, container.name),
      },
    },
  });
  return {
    status: {
      phase: "Succeeded",
      conditions: [
        condition("PodReadyToStartContainers", "False", time),
        condition("Ready", "False", time, "PodCompleted"),
        condition("ContainersReady", "False", time, "PodCompleted"),
      ],
      containerStatuses: containers(pod, "containers").map(terminated),
    },
  };
}

import { describe, expect, test } from "bun:test";
import {
  isHollowRunning,
  isTerminal,
  runningPodStatus,
  terminatedPodStatus,
} from "../../../src/node-agent/hollow/hollow-pod-status.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";

const now = new Date("2025-01-01T00:00:00.500Z");
const placement = { hostIP: "100.64.0.4", podIP: "10.64.3.2" };

function pod(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default", uid: "uid-1" },
    spec: { nodeName: "hollow-3", containers: [{ name: "c", image: "nginx" }], ...spec },
    status: { phase: "Pending", qosClass: "BestEffort", ...status },
  };
}

interface Status {
  phase: string;
  conditions: { type: string; status: string; reason?: string }[];
  containerStatuses: Record<string, unknown>[];
  initContainerStatuses?: Record<string, unknown>[];
  [field: string]: unknown;
}

const statusOf = (patch: KubeObject) => patch.status as Status;

describe("running pod status", () => {
  test("Running and Ready at once, with addresses, start time and QoS class", () => {
    const status = statusOf(runningPodStatus(pod(), placement, now));
    expect(status.phase).toBe("Running");
    expect(status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
      "PodScheduled=True",
    ]);
    expect(status.hostIP).toBe("100.64.0.4");
    expect(status.hostIPs).toEqual([{ ip: "100.64.0.4" }]);
    expect(status.podIP).toBe("10.64.3.2");
    expect(status.podIPs).toEqual([{ ip: "10.64.3.2" }]);
    expect(status.startTime).toBe("2025-01-01T00:00:00Z");
    expect(status.qosClass).toBe("BestEffort");
    expect(status.containerStatuses).toEqual([
      {
        name: "c",
        image: "nginx",
        imageID: "nginx",
        containerID: "hollow://uid-1/c",
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: "2025-01-01T00:00:00Z" } },
      },
    ]);
    expect(status.initContainerStatuses).toBeUndefined();
  });

  test("the scheduler's PodScheduled condition is left alone", () => {
    const scheduled = pod({}, { conditions: [{ type: "PodScheduled", status: "True" }] });
    const types = statusOf(runningPodStatus(scheduled, placement, now)).conditions.map(
      (c) => c.type,
    );
    expect(types).not.toContain("PodScheduled");
  });

  test("host network pods get the node's IP; QoS is computed when missing", () => {
    const hostNetwork = pod(
      {
        hostNetwork: true,
        containers: [
          {
            name: "c",
            image: "nginx",
            resources: { limits: { cpu: "1", memory: "1Gi" } },
          },
        ],
      },
      { qosClass: undefined },
    );
    const status = statusOf(runningPodStatus(hostNetwork, placement, now));
    expect(status.podIP).toBe("100.64.0.4");
    expect(status.qosClass).toBe("Guaranteed");
  });

  test("init containers have completed; sidecars keep running", () => {
    const withInit = pod({
      initContainers: [
        { name: "setup", image: "busybox" },
        { name: "sidecar", image: "envoy", restartPolicy: "Always" },
      ],
    });
    const init = statusOf(runningPodStatus(withInit, placement, now)).initContainerStatuses ?? [];
    expect(init.map((s) => Object.keys(s.state as object)[0])).toEqual(["terminated", "running"]);
    expect(
      (init[0]?.state as { terminated: { exitCode: number; reason: string } }).terminated,
    ).toMatchObject({ exitCode: 0, reason: "Completed" });
  });

  test("isHollowRunning tells our Running status from anything else", () => {
    const running = { ...pod(), ...runningPodStatus(pod(), placement, now) };
    expect(isHollowRunning(running)).toBe(true);
    expect(isHollowRunning(pod())).toBe(false);
    const foreign = structuredClone(running);
    (statusOf(foreign).containerStatuses[0] as { containerID: string }).containerID =
      "containerd://x";
    expect(isHollowRunning(foreign)).toBe(false);
  });
});

describe("terminated pod status", () => {
  test("containers exited 0, not ready, phase Succeeded", () => {
    const running = {
      ...pod(),
      ...runningPodStatus(pod(), placement, new Date("2025-01-01T00:00:00Z")),
    };
    const status = statusOf(terminatedPodStatus(running, now));
    expect(status.phase).toBe("Succeeded");
    expect(isTerminal({ ...running, status })).toBe(true);
    expect(status.conditions.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "PodCompleted",
    });
    expect(status.containerStatuses[0]).toMatchObject({
      ready: false,
      state: {
        terminated: {
          exitCode: 0,
          reason: "Completed",
          startedAt: "2025-01-01T00:00:00Z",
          finishedAt: "2025-01-01T00:00:00Z",
          containerID: "hollow://uid-1/c",
        },
      },
    });
  });
});

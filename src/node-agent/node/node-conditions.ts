/**
 * The Node conditions the kubelet reports (MemoryPressure, DiskPressure,
 * PIDPressure, Ready) with upstream's reasons and messages, and the pressure
 * thresholds: the kubelet's default hard eviction thresholds
 * (memory.available < 100Mi, nodefs.available < 10 %), plus pids: fewer than
 * 10 % of pid_max still free (upstream has no default for pid.available).
 */
import type { NodeObservations } from "./node-facts.ts";
import { rfc3339 } from "./timestamps.ts";

export const MEMORY_AVAILABLE_MIN_BYTES = 100 * 1024 * 1024;
export const DISK_AVAILABLE_MIN_FRACTION = 0.1;
export const PIDS_AVAILABLE_MIN_FRACTION = 0.1;

/** The condition type under which runtime limitations are reported (kubun's own). */
export const RUNTIME_LIMITATIONS_CONDITION = "kubun.io/RuntimeLimitations";

export type ConditionStatus = "True" | "False" | "Unknown";

export interface NodeCondition {
  type: string;
  status: ConditionStatus;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** A condition without its times. */
export type ConditionState = Pick<NodeCondition, "type" | "status" | "reason" | "message">;

export interface Pressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  message?: string;
}

export function pressureOf(observed: NodeObservations): Pressure {
  const { memoryAvailableBytes, diskAvailableBytes, diskCapacityBytes } = observed;
  const { pidsAvailable, pidMax } = observed;
  return {
    memory: memoryAvailableBytes !== undefined && memoryAvailableBytes < MEMORY_AVAILABLE_MIN_BYTES,
    disk:
      diskAvailableBytes !== undefined &&
      diskCapacityBytes !== undefined &&
      diskCapacityBytes > 0 &&
      diskAvailableBytes < diskCapacityBytes * DISK_AVAILABLE_MIN_FRACTION,
    pid:
      pidsAvailable !== undefined &&
      pidMax !== undefined &&
      pidsAvailable < pidMax * PIDS_AVAILABLE_MIN_FRACTION,
  };
}

function pressureCondition(
  type: string,
  pressured: boolean,
  texts: { yes: [string, string]; no: [string, string] },
): ConditionState {
  const [reason, message] = pressured ? texts.yes : texts.no;
  return { type, status: pressured ? "True" : "False", reason, message };
}

/** The conditions in upstream's order, then `extra` (e.g. runtime limitations). */
export function conditionStates(
  pressure: Pressure,
  readiness: Readiness,
  extra: readonly ConditionState[] = [],
): ConditionState[] {
  return [
    pressureCondition("MemoryPressure", pressure.memory, {
      yes: ["KubeletHasInsufficientMemory", "kubelet has insufficient memory available"],
      no: ["KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
    }),
    pressureCondition("DiskPressure", pressure.disk, {
      yes: ["KubeletHasDiskPressure", "kubelet has disk pressure"],
      no: ["KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
    }),
    pressureCondition("PIDPressure", pressure.pid, {
      yes: ["KubeletHasInsufficientPID", "kubelet has insufficient PID available"],
      no: ["KubeletHasSufficientPID", "kubelet has sufficient PID available"],
    }),
    readiness.ready
      ? {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
        }
      : {
          type: "Ready",
          status: "False",
          reason: "KubeletNotReady",
          message: readiness.message ?? "kubelet is not ready",
        },
    ...extra,
  ];
}

/** The runtime's limitations as a condition: True with the list, False when there are none. */
export function runtimeLimitationsCondition(limitations: readonly string[]): ConditionState {
  return limitations.length > 0
    ? {
        type: RUNTIME_LIMITATIONS_CONDITION,
        status: "True",
        reason: "RuntimeLimited",
        message: limitations.join("; "),
      }
    : {
        type: RUNTIME_LIMITATIONS_CONDITION,
        status: "False",
        reason: "RuntimeComplete",
        message: "the container runtime has everything it needs on this node",
      };
}

/**
 * Stamps the states with times: heartbeat now, transition now only when the
 * status differs from the previous condition of that type (else kept).
 */
export function stampConditions(
  states: readonly ConditionState[],
  previous: readonly NodeCondition[],
  now: Date,
): NodeCondition[] {
  const stamp = rfc3339(now);
  return states.map((state) => {
    const before = previous.find((condition) => condition.type === state.type);
    const transitioned = !before || before.status !== state.status;
    return {
      type: state.type,
      status: state.status,
      lastHeartbeatTime: stamp,
      lastTransitionTime: transitioned ? stamp : before.lastTransitionTime,
      reason: state.reason,
      message: state.message,
    };
  });
}

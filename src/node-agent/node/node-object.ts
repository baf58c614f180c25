/** The Node object an agent registers, and the status it reports: pure functions of the facts. */
import type { KubeObject } from "../../resources/kind.ts";
import { gitVersion } from "../../version.ts";
import type { NodeAddress } from "./node-address.ts";
import type { NodeCondition } from "./node-conditions.ts";
import { MEMORY_AVAILABLE_MIN_BYTES } from "./node-conditions.ts";
import type { NodeCapacity, NodeSystemInfo } from "./node-facts.ts";
import type { Taint } from "./node-flags.ts";

/** What the agent says about itself, fixed for its lifetime. */
export interface NodeDescription {
  nodeName: string;
  /** Also the kubernetes.io/hostname label and the Hostname address. */
  hostname: string;
  addresses: readonly NodeAddress[];
  /** --node-labels. */
  labels: Readonly<Record<string, string>>;
  /** --register-with-taints: set at creation only. */
  taints: readonly Taint[];
  /** The agent's HTTPS port (daemonEndpoints.kubeletEndpoint.Port). */
  port: number;
  maxPods: number;
  /** The container runtime; absent while none runs (containerRuntimeVersion stays empty). */
  runtime?: { name: string; version: string };
}

export interface NodeStatus {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  conditions: NodeCondition[];
  addresses: NodeAddress[];
  daemonEndpoints: { kubeletEndpoint: { Port: number } };
  nodeInfo: Record<string, string>;
}

/** Bytes as a quantity: in Ki when exact (as the kubelet reports memory), else plain. */
export function byteQuantity(bytes: number): string {
  const whole = Math.max(0, Math.floor(bytes));
  return whole % 1024 === 0 && whole > 0 ? `${whole / 1024}Ki` : String(whole);
}

/**
 * Capacity, and allocatable as the kubelet computes it with no reservations:
 * capacity less the hard eviction thresholds (100Mi of memory, 10 % of disk).
 */
export function resourceLists(
  capacity: NodeCapacity,
  maxPods: number,
): Pick<NodeStatus, "capacity" | "allocatable"> {
  const cpu = String(capacity.cpuCores);
  const pods = String(maxPods);
  return {
    capacity: {
      cpu,
      "ephemeral-storage": byteQuantity(capacity.ephemeralStorageBytes),
      memory: byteQuantity(capacity.memoryBytes),
      pods,
    },
    allocatable: {
      cpu,
      "ephemeral-storage": byteQuantity(Math.floor(capacity.ephemeralStorageBytes * 0.9)),
      memory: byteQuantity(capacity.memoryBytes - MEMORY_AVAILABLE_MIN_BYTES),
      pods,
    },
  };
}

/** The labels the agent owns: the kubelet's well-known ones, then --node-labels. */
export function nodeLabels(
  description: NodeDescription,
  systemInfo: Pick<NodeSystemInfo, "operatingSystem" | "architecture">,
): Record<string, string> {
  return {
    "beta.kubernetes.io/arch": systemInfo.architecture,
    "beta.kubernetes.io/os": systemInfo.operatingSystem,
    "kubernetes.io/arch": systemInfo.architecture,
    "kubernetes.io/hostname": description.hostname,
    "kubernetes.io/os": systemInfo.operatingSystem,
    ...description.labels,
  };
}

export function buildNodeStatus(
  description: NodeDescription,
  facts: { capacity: NodeCapacity; systemInfo: NodeSystemInfo },
  conditions: NodeCondition[],
): NodeStatus {
  const { systemInfo } = facts;
  const { runtime } = description;
  return {
    ...resourceLists(facts.capacity, description.maxPods),
    conditions,
    addresses: description.addresses.map((address) => ({ ...address })),
    daemonEndpoints: { kubeletEndpoint: { Port: description.port } },
    nodeInfo: {
      machineID: systemInfo.machineID,
      systemUUID: systemInfo.systemUUID,
      bootID: systemInfo.bootID,
      kernelVersion: systemInfo.kernelVersion,
      osImage: systemInfo.osImage,
      containerRuntimeVersion: runtime ? `${runtime.name}://${runtime.version}` : "",
      kubeletVersion: gitVersion,
      kubeProxyVersion: gitVersion,
      operatingSystem: systemInfo.operatingSystem,
      architecture: systemInfo.architecture,
    },
  };
}

/** The Node to create: labels, the registration taints, and the first status. */
export function buildNode(
  description: NodeDescription,
  systemInfo: NodeSystemInfo,
  status: NodeStatus,
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: description.nodeName,
      labels: nodeLabels(description, systemInfo),
      annotations: { "volumes.kubernetes.io/controller-managed-attach-detach": "true" },
    },
    spec:
      description.taints.length > 0 ? { taints: description.taints.map((t) => ({ ...t })) } : {},
    status,
  };
}

/** The status without heartbeat times: what decides whether there is news to report. */
export function statusFingerprint(status: NodeStatus): string {
  return JSON.stringify({
    ...status,
    conditions: status.conditions.map(({ lastHeartbeatTime: _, ...rest }) => rest),
  });
}

/**
 * Container resources in the runtime's terms (cgroup cpu shares and quota,
 * memory bytes), and the admission check the kubelet makes before running a
 * pod: its requests must fit in what the node has left.
 */
import type { KubeObject } from "../../resources/kind.ts";
import { parseQuantity } from "../../resources/quantity/quantity.ts";
import type { ContainerLimits } from "../runtime/runtime.ts";

type ResourceList = Record<string, string> | undefined;

function milli(list: ResourceList, name: string): bigint | undefined {
  const raw = list?.[name];
  if (raw === undefined) return undefined;
  try {
    return parseQuantity(String(raw)).milliValue();
  } catch {
    return undefined;
  }
}

function bytes(list: ResourceList, name: string): number | undefined {
  const raw = list?.[name];
  if (raw === undefined) return undefined;
  try {
    return Number(parseQuantity(String(raw)).value());
  } catch {
    return undefined;
  }
}

/** cpu.shares from requests (minimum 2, as the kubelet), CFS quota and memory from limits. */
export function containerLimits(resources?: {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}): ContainerLimits {
  const limits: ContainerLimits = {};
  const requestMilli = milli(resources?.requests, "cpu") ?? milli(resources?.limits, "cpu");
  limits.cpuShares =
    requestMilli === undefined ? 2 : Math.max(2, Number((requestMilli * 1024n) / 1000n));
  const limitMilli = milli(resources?.limits, "cpu");
  // A 100 ms period: quota in µs is millicores × 100; the kernel's minimum is 1 ms.
  if (limitMilli !== undefined) limits.cpuQuotaMicros = Math.max(1000, Number(limitMilli) * 100);
  const memory = bytes(resources?.limits, "memory");
  if (memory !== undefined) limits.memoryBytes = memory;
  return limits;
}

interface Capacity {
  cpuMilli: bigint;
  memoryBytes: number;
  pods: number;
}

/** The effective requests of a pod: the larger of its app containers' sum and any init container. */
export function podRequests(pod: KubeObject): { cpuMilli: bigint; memoryBytes: number } {
  const spec = (pod.spec ?? {}) as {
    containers?: { resources?: { requests?: Record<string, string> } }[];
    initContainers?: {
      restartPolicy?: string;
      resources?: { requests?: Record<string, string> };
    }[];
  };
  let cpu = 0n;
  let memory = 0;
  for (const c of spec.containers ?? []) {
    cpu += milli(c.resources?.requests, "cpu") ?? 0n;
    memory += bytes(c.resources?.requests, "memory") ?? 0;
  }
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === "Always") {
      cpu += milli(c.resources?.requests, "cpu") ?? 0n;
      memory += bytes(c.resources?.requests, "memory") ?? 0;
    }
  }
  for (const c of spec.initContainers ?? []) {
    const initCpu = milli(c.resources?.requests, "cpu") ?? 0n;
    if (initCpu > cpu) cpu = initCpu;
    const initMemory = bytes(c.resources?.requests, "memory") ?? 0;
    if (initMemory > memory) memory = initMemory;
  }
  return { cpuMilli: cpu, memoryBytes: memory };
}

/**
 * Why `pod` does not fit next to `running` on a node of `capacity` (upstream's
 * OutOfcpu / OutOfmemory / OutOfpods rejections), or undefined.
 */
export function admissionFailure(
  pod: KubeObject,
  running: readonly KubeObject[],
  capacity: Capacity,
): { reason: string; message: string } | undefined {
  if (running.length + 1 > capacity.pods) {
    return {
      reason: "OutOfpods",
      message: `Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: ${running.length}, capacity: ${capacity.pods}`,
    };
  }
  const wanted = podRequests(pod);
  let usedCpu = 0n;
  let usedMemory = 0;
  for (const other of running) {
    const requests = podRequests(other);
    usedCpu += requests.cpuMilli;
    usedMemory += requests.memoryBytes;
  }
  if (wanted.cpuMilli > 0n && usedCpu + wanted.cpuMilli > capacity.cpuMilli) {
    return {
      reason: "OutOfcpu",
      message: `Pod was rejected: Node didn't have enough resource: cpu, requested: ${wanted.cpuMilli}, used: ${usedCpu}, capacity: ${capacity.cpuMilli}`,
    };
  }
  if (wanted.memoryBytes > 0 && usedMemory + wanted.memoryBytes > capacity.memoryBytes) {
    return {
      reason: "OutOfmemory",
      message: `Pod was rejected: Node didn't have enough resource: memory, requested: ${wanted.memoryBytes}, used: ${usedMemory}, capacity: ${capacity.memoryBytes}`,
    };
  }
  return undefined;
}

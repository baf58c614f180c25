/**
 * emptyDir volumes: a directory writable by anyone (0777, as the kubelet makes
 * it, so non-root containers can use it), on tmpfs for medium "Memory". The
 * tmpfs size is the smallest of the volume's sizeLimit, the pod's memory limit
 * and the node's allocatable memory, as with SizeMemoryBackedVolumes. On-disk
 * sizeLimit is not enforced (the kubelet does that by eviction).
 */
import { chmod, mkdir } from "node:fs/promises";
import type { KubeObject } from "../../resources/kind.ts";
import { parseQuantity } from "../../resources/quantity/quantity.ts";
import type { ResourceList } from "../env/resource-fields.ts";
import type { MemoryBacking } from "./memory-backing.ts";
import type { EmptyDirSource } from "./volume-types.ts";

export async function setUpEmptyDir(
  dir: string,
  source: EmptyDirSource,
  pod: KubeObject,
  memory: MemoryBacking,
  nodeAllocatable: ResourceList,
): Promise<string> {
  const medium = source.medium ?? "";
  if (medium !== "" && medium !== "Memory") {
    throw new Error(`emptyDir medium "${medium}" is not supported by this node`);
  }
  await mkdir(dir, { recursive: true });
  if (medium === "Memory") {
    await memory.ensure(dir, memorySize(source, pod, nodeAllocatable));
  }
  await chmod(dir, 0o777);
  return dir;
}

function memorySize(
  source: EmptyDirSource,
  pod: KubeObject,
  nodeAllocatable: ResourceList,
): bigint | undefined {
  const candidates = [
    bytes(nodeAllocatable.memory),
    podMemoryLimit(pod),
    bytes(source.sizeLimit),
  ].filter((value): value is bigint => value !== undefined && value > 0n);
  if (candidates.length === 0) return undefined;
  return candidates.reduce((min, value) => (value < min ? value : min));
}

/** The pod's memory limit when every app container has one (the pod cgroup's limit). */
function podMemoryLimit(pod: KubeObject): bigint | undefined {
  type Container = { resources?: { limits?: Record<string, string | number> } };
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  let total = 0n;
  for (const container of spec.containers ?? []) {
    const limit = bytes(container.resources?.limits?.memory);
    if (limit === undefined) return undefined;
    total += limit;
  }
  for (const container of spec.initContainers ?? []) {
    const limit = bytes(container.resources?.limits?.memory);
    if (limit !== undefined && limit > total) total = limit;
  }
  return total > 0n ? total : undefined;
}

function bytes(raw: string | number | undefined): bigint | undefined {
  if (raw === undefined || raw === "") return undefined;
  try {
    return parseQuantity(String(raw)).value();
  } catch {
    return undefined;
  }
}

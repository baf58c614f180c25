/**
 * Downward API container resources (`resourceFieldRef`): a container's
 * requests and limits in units of a divisor, rounded up. Limits a container
 * does not set read as the node's allocatable, as with the kubelet (it is
 * what the container may use).
 */
import type { KubeObject } from "../../resources/kind.ts";
import { parseQuantity, type Quantity } from "../../resources/quantity/quantity.ts";

export interface ResourceFieldSelector {
  containerName?: string;
  resource?: string;
  divisor?: string | number;
}

/** A container's resources as they appear in the pod spec. */
export interface ContainerResources {
  name?: string;
  resources?: {
    limits?: Record<string, string | number>;
    requests?: Record<string, string | number>;
  };
}

/** Resource lists as in Node status: `{ cpu: "4", memory: "8Gi", … }`. */
export type ResourceList = Record<string, string | number>;

const defaultedLimits = ["cpu", "memory", "ephemeral-storage"];

/**
 * The value of `selector` for the named container of `pod` (selector.containerName)
 * or for `container` when the selector names none.
 */
export function containerResourceValue(
  selector: ResourceFieldSelector,
  pod: KubeObject,
  container: ContainerResources | undefined,
  nodeAllocatable: ResourceList = {},
): string {
  const target = selector.containerName ? findContainer(pod, selector.containerName) : container;
  if (!target) throw new Error(`container ${selector.containerName ?? ""} not found`);
  const resource = selector.resource ?? "";
  const divisor = divisorOf(selector.divisor);
  const [kind, name] = splitResource(resource);
  if (!name || (kind !== "limits" && kind !== "requests")) {
    throw new Error(`unsupported container resource : ${resource}`);
  }
  const supported = ["cpu", "memory", "ephemeral-storage"].includes(name);
  if (!supported && !name.startsWith("hugepages-")) {
    throw new Error(`unsupported container resource : ${resource}`);
  }
  let raw = target.resources?.[kind]?.[name];
  if (kind === "limits" && defaultedLimits.includes(name) && isUnset(raw)) {
    raw = nodeAllocatable[name];
  }
  const quantity = raw === undefined ? undefined : parseQuantity(String(raw));
  if (name === "cpu") return ceilDiv(quantity?.milliValue() ?? 0n, divisor.milliValue());
  return ceilDiv(quantity?.value() ?? 0n, divisor.value());
}

function splitResource(resource: string): [string, string | undefined] {
  const dot = resource.indexOf(".");
  return dot < 0 ? [resource, undefined] : [resource.slice(0, dot), resource.slice(dot + 1)];
}

function isUnset(raw: string | number | undefined): boolean {
  if (raw === undefined) return true;
  try {
    return parseQuantity(String(raw)).isZero();
  } catch {
    return true;
  }
}

/** An absent or zero divisor means 1, as upstream. */
function divisorOf(raw: string | number | undefined): Quantity {
  if (raw !== undefined && raw !== "") {
    const divisor = parseQuantity(String(raw));
    if (!divisor.isZero()) return divisor;
  }
  return parseQuantity("1");
}

function ceilDiv(value: bigint, divisor: bigint): string {
  if (divisor <= 0n) throw new Error("resource divisor must be positive");
  const quotient = value / divisor;
  return String(value % divisor > 0n ? quotient + 1n : quotient);
}

function findContainer(pod: KubeObject, name: string): ContainerResources | undefined {
  const spec = (pod.spec ?? {}) as {
    containers?: ContainerResources[];
    initContainers?: ContainerResources[];
  };
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((c) => c.name === name);
}

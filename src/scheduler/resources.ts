/**
 * Resource amounts as the scheduler counts them (upstream framework.Resource): cpu in
 * millicores, everything else in whole units, as plain numbers (exact below 2^53, so up
 * to 8 PiB of memory), because the filter/score loop adds and compares them millions of
 * times a second.
 */
import { parseQuantity } from "../resources/quantity/quantity.ts";
import type { Container, PodSpec } from "./types.ts";

export class Resources {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  /** Allowed pod count (allocatable only). */
  pods = 0;
  /** Extended, hugepages and attachable-volume resources. */
  scalar: Map<string, number> | undefined;

  add(other: Resources): void {
    this.milliCPU += other.milliCPU;
    this.memory += other.memory;
    this.ephemeralStorage += other.ephemeralStorage;
    this.pods += other.pods;
    if (other.scalar) for (const [name, value] of other.scalar) this.addScalar(name, value);
  }

  sub(other: Resources): void {
    this.milliCPU -= other.milliCPU;
    this.memory -= other.memory;
    this.ephemeralStorage -= other.ephemeralStorage;
    this.pods -= other.pods;
    if (other.scalar) for (const [name, value] of other.scalar) this.addScalar(name, -value);
  }

  addScalar(name: string, value: number): void {
    this.scalar ??= new Map();
    this.scalar.set(name, (this.scalar.get(name) ?? 0) + value);
  }

  getScalar(name: string): number {
    return this.scalar?.get(name) ?? 0;
  }

  /** Adds one resource list entry (a container's requests, an overhead, allocatable). */
  addNamed(name: string, quantity: string): void {
    switch (name) {
      case "cpu":
        this.milliCPU += milliOf(quantity);
        return;
      case "memory":
        this.memory += unitsOf(quantity);
        return;
      case "ephemeral-storage":
        this.ephemeralStorage += unitsOf(quantity);
        return;
      case "pods":
        this.pods += unitsOf(quantity);
        return;
      default:
        if (isScalarResourceName(name)) this.addScalar(name, unitsOf(quantity));
    }
  }

  /** Each dimension becomes the larger of this and `other` (the init-container rule). */
  setMax(other: Resources): void {
    this.milliCPU = Math.max(this.milliCPU, other.milliCPU);
    this.memory = Math.max(this.memory, other.memory);
    this.ephemeralStorage = Math.max(this.ephemeralStorage, other.ephemeralStorage);
    if (other.scalar) {
      for (const [name, value] of other.scalar) {
        this.scalar ??= new Map();
        this.scalar.set(name, Math.max(this.getScalar(name), value));
      }
    }
  }

  clone(): Resources {
    const copy = new Resources();
    copy.add(this);
    return copy;
  }

  isZero(): boolean {
    if (this.milliCPU !== 0 || this.memory !== 0 || this.ephemeralStorage !== 0) return false;
    if (this.scalar) for (const value of this.scalar.values()) if (value !== 0) return false;
    return true;
  }

  static fromList(list: Record<string, string> | null | undefined): Resources {
    const resources = new Resources();
    for (const [name, quantity] of Object.entries(list ?? {})) resources.addNamed(name, quantity);
    return resources;
  }
}

/**
 * Upstream IsScalarResourceName: extended resources (domain-prefixed, not kubernetes.io),
 * prefixed native ones, hugepages and attachable volumes.
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith("hugepages-") || name.startsWith("attachable-volumes-")) return true;
  return name.includes("/") && !name.startsWith("requests.");
}

/** True for extended resources the way upstream names them (not native, not hugepages). */
export function isExtendedResourceName(name: string): boolean {
  return name.includes("/") && !name.includes("kubernetes.io/") && !name.startsWith("requests.");
}

interface Parsed {
  milli: number;
  value: number;
}
/** Quantities repeat (every replica asks for the same "100m"): parse each text once. */
const parsedQuantities = new Map<string, Parsed>();
const PARSED_LIMIT = 10_000;

function parsed(text: string): Parsed {
  let entry = parsedQuantities.get(text);
  if (entry) return entry;
  try {
    const quantity = parseQuantity(text);
    entry = { milli: Number(quantity.milliValue()), value: Number(quantity.value()) };
  } catch {
    entry = { milli: 0, value: 0 };
  }
  if (parsedQuantities.size >= PARSED_LIMIT) parsedQuantities.clear();
  parsedQuantities.set(text, entry);
  return entry;
}

export const milliOf = (text: string): number => parsed(text).milli;
export const unitsOf = (text: string): number => parsed(text).value;

/** Upstream's scoring defaults for a container that asks for no cpu or memory. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function containerRequests(container: Container, nonZero: boolean): Resources {
  const requests = container.resources?.requests;
  const resources = Resources.fromList(requests);
  if (nonZero) {
    if (requests?.cpu === undefined) resources.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (requests?.memory === undefined) resources.memory = DEFAULT_MEMORY_REQUEST;
  }
  return resources;
}

/**
 * What a pod asks of a node (upstream resourcehelper.PodRequests): the sum over its
 * containers and sidecars (init containers with restartPolicy Always keep running), or
 * more if an init container, plus the sidecars started before it, needs more while it
 * runs; plus the pod overhead. With `nonZero`, containers asking for no cpu or memory
 * count upstream's defaults (for scoring only).
 */
export function podRequests(spec: PodSpec, nonZero = false): Resources {
  const total = new Resources();
  for (const container of spec.containers ?? []) total.add(containerRequests(container, nonZero));
  const sidecars = new Resources();
  const initPeak = new Resources();
  for (const container of spec.initContainers ?? []) {
    const requests = containerRequests(container, nonZero);
    if (container.restartPolicy === "Always") {
      total.add(requests);
      sidecars.add(requests);
      initPeak.setMax(sidecars);
    } else {
      requests.add(sidecars);
      initPeak.setMax(requests);
    }
  }
  total.setMax(initPeak);
  if (spec.overhead) total.add(Resources.fromList(spec.overhead));
  return total;
}

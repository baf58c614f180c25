/**
 * A node with the aggregates of the pods on it (upstream framework.NodeInfo): requested
 * and non-zero requested resources, used host ports, pod count, the pods with affinity
 * terms. Kept up to date incrementally as pods are added and removed, so the filter and
 * score plugins read sums instead of walking pods.
 */
import type { KubeObject } from "../resources/kind.ts";
import type { HostPort, PodInfo } from "./pod-info.ts";
import { Resources } from "./resources.ts";
import { effectiveTaints } from "./taints.ts";
import { nodeSpec, nodeStatus, type Taint } from "./types.ts";

const ALL_IPS = "0.0.0.0";

/** Host ports in use: ip → "protocol/port" → how many pods use it. */
export class HostPortInfo {
  readonly #byIp = new Map<string, Map<string, number>>();

  add(port: HostPort, delta = 1): void {
    const key = `${port.protocol}/${port.port}`;
    let ports = this.#byIp.get(port.ip);
    if (!ports) {
      ports = new Map();
      this.#byIp.set(port.ip, ports);
    }
    const count = (ports.get(key) ?? 0) + delta;
    if (count > 0) ports.set(key, count);
    else ports.delete(key);
    if (ports.size === 0) this.#byIp.delete(port.ip);
  }

  /** Upstream CheckConflict: 0.0.0.0 conflicts with every IP on the same protocol/port. */
  conflicts(port: HostPort): boolean {
    const key = `${port.protocol}/${port.port}`;
    if (port.ip === ALL_IPS) {
      for (const ports of this.#byIp.values()) if (ports.has(key)) return true;
      return false;
    }
    return Boolean(this.#byIp.get(ALL_IPS)?.has(key) || this.#byIp.get(port.ip)?.has(key));
  }

  get size(): number {
    return this.#byIp.size;
  }

  clone(): HostPortInfo {
    const copy = new HostPortInfo();
    for (const [ip, ports] of this.#byIp) copy.#byIp.set(ip, new Map(ports));
    return copy;
  }
}

let generations = 0;

export class NodeInfo {
  node: KubeObject | undefined;
  labels: Readonly<Record<string, string>> = {};
  taints: readonly Taint[] = [];
  unschedulable = false;
  allocatable = new Resources();
  readonly requested = new Resources();
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  readonly pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  readonly usedPorts = new HostPortInfo();
  /** Bumped on every change, for callers that cache per-node results. */
  generation = ++generations;
  readonly #index = new Map<string, number>();

  constructor(readonly name: string) {}

  setNode(node: KubeObject): void {
    this.node = node;
    this.labels = node.metadata?.labels ?? {};
    this.taints = effectiveTaints(node);
    this.unschedulable = Boolean(nodeSpec(node).unschedulable);
    this.allocatable = Resources.fromList(nodeStatus(node).allocatable);
    this.generation = ++generations;
  }

  hasPod(key: string): boolean {
    return this.#index.has(key);
  }

  addPod(pod: PodInfo): void {
    this.#index.set(pod.key, this.pods.length);
    this.pods.push(pod);
    this.#account(pod, 1);
    if (pod.hasAffinity) this.podsWithAffinity.push(pod);
    if (pod.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity.push(pod);
    this.generation = ++generations;
  }

  /** Removes the pod with `key`; returns it, or undefined when it was not here. */
  removePod(key: string): PodInfo | undefined {
    const at = this.#index.get(key);
    if (at === undefined) return undefined;
    const pod = this.pods[at] as PodInfo;
    const last = this.pods.pop() as PodInfo;
    if (last !== pod) {
      this.pods[at] = last;
      this.#index.set(last.key, at);
    }
    this.#index.delete(key);
    this.#account(pod, -1);
    if (pod.hasAffinity) this.podsWithAffinity = this.podsWithAffinity.filter((p) => p !== pod);
    if (pod.requiredAntiAffinityTerms.length > 0) {
      this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter(
        (p) => p !== pod,
      );
    }
    this.generation = ++generations;
    return pod;
  }

  #account(pod: PodInfo, sign: 1 | -1): void {
    if (sign === 1) this.requested.add(pod.requests);
    else this.requested.sub(pod.requests);
    this.nonZeroMilliCPU += sign * pod.nonZeroMilliCPU;
    this.nonZeroMemory += sign * pod.nonZeroMemory;
    for (const port of pod.hostPorts) this.usedPorts.add(port, sign);
  }

  /** An independent copy (for preemption's what-ifs and nominated pods). */
  clone(): NodeInfo {
    const copy = new NodeInfo(this.name);
    if (this.node) copy.setNode(this.node);
    for (const pod of this.pods) copy.addPod(pod);
    return copy;
  }
}

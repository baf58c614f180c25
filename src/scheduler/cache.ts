/**
 * The scheduler's view of where pods run (upstream internal/cache): one NodeInfo per
 * node, fed by the node and pod informers and by the scheduler's own decisions. A pod
 * the scheduler has chosen a node for is "assumed" onto that node at once, so the next
 * scheduling cycle counts it while the binding is still in flight; the informer's copy
 * replaces it once the binding is seen, and a failed binding forgets it.
 *
 * JavaScript runs one task at a time and a scheduling cycle is synchronous, so the cycle
 * reads this cache directly: no snapshot is needed.
 */
import type { KubeObject } from "../resources/kind.ts";
import { NodeInfo } from "./node-info.ts";
import { PodInfo } from "./pod-info.ts";
import { isTerminal, podKey, podSpec } from "./types.ts";

interface PodState {
  pod: PodInfo;
  assumed: boolean;
}

export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PodState>();
  #list: NodeInfo[] | undefined;
  /** Pods with required anti-affinity anywhere (InterPodAffinity skips its work when 0). */
  podsWithRequiredAntiAffinity = 0;
  /** Pods with any affinity term anywhere. */
  podsWithAffinity = 0;

  /** The nodes that exist (a NodeInfo can outlive its Node while pods remain on it). */
  nodeList(): readonly NodeInfo[] {
    if (!this.#list) {
      this.#list = [];
      for (const info of this.#nodes.values()) if (info.node) this.#list.push(info);
    }
    return this.#list;
  }

  getNode(name: string): NodeInfo | undefined {
    const info = this.#nodes.get(name);
    return info?.node ? info : undefined;
  }

  get nodeCount(): number {
    return this.nodeList().length;
  }

  addNode(node: KubeObject): NodeInfo {
    const name = node.metadata?.name ?? "";
    let info = this.#nodes.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.#nodes.set(name, info);
    }
    if (!info.node) this.#list = undefined;
    info.setNode(node);
    return info;
  }

  removeNode(node: KubeObject): void {
    const name = node.metadata?.name ?? "";
    const info = this.#nodes.get(name);
    if (!info) return;
    info.node = undefined;
    if (info.pods.length === 0) this.#nodes.delete(name);
    this.#list = undefined;
  }

  /** An assigned pod from the informer (also confirms an assumed pod). */
  addPod(pod: KubeObject): void {
    if (isTerminal(pod)) {
      this.removePod(pod);
      return;
    }
    const key = podKey(pod);
    const existing = this.#pods.get(key);
    if (existing) this.#remove(key, existing);
    this.#add(key, new PodInfo(pod), false);
  }

  updatePod(pod: KubeObject): void {
    this.addPod(pod);
  }

  removePod(pod: KubeObject): void {
    const key = podKey(pod);
    const existing = this.#pods.get(key);
    if (existing) this.#remove(key, existing);
  }

  /** Counts `pod` (with spec.nodeName set) on its node until it is confirmed or forgotten. */
  assumePod(pod: PodInfo): void {
    const existing = this.#pods.get(pod.key);
    if (existing) this.#remove(pod.key, existing);
    this.#add(pod.key, pod, true);
  }

  /** Undoes assumePod after a failed binding; a pod the informer confirmed stays. */
  forgetPod(key: string): void {
    const existing = this.#pods.get(key);
    if (existing?.assumed) this.#remove(key, existing);
  }

  isAssumed(key: string): boolean {
    return this.#pods.get(key)?.assumed === true;
  }

  /** The pod's PodInfo if the cache holds it (assumed or confirmed). */
  getPod(key: string): PodInfo | undefined {
    return this.#pods.get(key)?.pod;
  }

  get podCount(): number {
    return this.#pods.size;
  }

  #add(key: string, pod: PodInfo, assumed: boolean): void {
    const nodeName = podSpec(pod.pod).nodeName ?? "";
    let info = this.#nodes.get(nodeName);
    if (!info) {
      // The pod's node is not known yet; the NodeInfo waits for it.
      info = new NodeInfo(nodeName);
      this.#nodes.set(nodeName, info);
    }
    info.addPod(pod);
    this.#pods.set(key, { pod, assumed });
    if (pod.hasAffinity) this.podsWithAffinity++;
    if (pod.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity++;
  }

  #remove(key: string, state: PodState): void {
    const nodeName = state.pod.nodeName;
    const info = this.#nodes.get(nodeName);
    info?.removePod(key);
    if (info && !info.node && info.pods.length === 0) this.#nodes.delete(nodeName);
    this.#pods.delete(key);
    if (state.pod.hasAffinity) this.podsWithAffinity--;
    if (state.pod.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity--;
  }
}

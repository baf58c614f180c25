/**
 * Pods nominated to a node by preemption (upstream nominator): from the pods'
 * status.nominatedNodeName, or from this scheduler's own decision before the API shows
 * it. Filters count them on their node for pods of lower or equal priority, so the room
 * preemption made is not taken by someone else.
 */
import type { KubeObject } from "../resources/kind.ts";
import type { NominatedPods } from "./framework.ts";
import type { PodInfo } from "./pod-info.ts";
import { podStatus } from "./types.ts";

export class Nominator implements NominatedPods {
  readonly #byNode = new Map<string, PodInfo[]>();
  readonly #nodeOf = new Map<string, string>();

  get size(): number {
    return this.#nodeOf.size;
  }

  /** Records `pod` on `nodeName`, or on its status.nominatedNodeName when not given. */
  add(pod: PodInfo, nodeName?: string): void {
    this.delete(pod.key);
    const node = nodeName ?? podStatus(pod.pod).nominatedNodeName ?? "";
    if (!node) return;
    this.#nodeOf.set(pod.key, node);
    const pods = this.#byNode.get(node);
    if (pods) pods.push(pod);
    else this.#byNode.set(node, [pod]);
  }

  delete(key: string): void {
    const node = this.#nodeOf.get(key);
    if (node === undefined) return;
    this.#nodeOf.delete(key);
    const pods = (this.#byNode.get(node) ?? []).filter((p) => p.key !== key);
    if (pods.length > 0) this.#byNode.set(node, pods);
    else this.#byNode.delete(node);
  }

  /**
   * A pending pod changed. Keep a nomination this scheduler made unless the update
   * itself sets, changes or clears status.nominatedNodeName (upstream's rule).
   */
  update(oldPod: KubeObject, pod: PodInfo): void {
    const before = podStatus(oldPod).nominatedNodeName ?? "";
    const after = podStatus(pod.pod).nominatedNodeName ?? "";
    const kept = this.#nodeOf.get(pod.key);
    if (before === after && kept !== undefined) {
      this.add(pod, kept);
      return;
    }
    this.add(pod);
  }

  nodeOf(key: string): string | undefined {
    return this.#nodeOf.get(key);
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.#byNode.get(nodeName) ?? [];
  }
}

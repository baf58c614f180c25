/**
 * Taint eviction controller (upstream's taint-eviction-controller, formerly the
 * NoExecuteTaintManager).
 * Reconciles: a pod bound to a node with NoExecute taints it does not tolerate is
 * deleted at once; one that tolerates them for tolerationSeconds is deleted that long
 * after the controller first saw it so (DefaultTolerationSeconds gives every pod 300 s
 * for not-ready and unreachable); one that tolerates them forever stays. A pending
 * deletion is cancelled when the taints go. Before deleting, the pod gets the
 * DisruptionTarget condition (reason DeletionByTaintManager).
 * Owns: nothing; deletes pods. Watches: Nodes (their NoExecute taints), Pods.
 */
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop } from "./controller.ts";
import { EventRecorder, eventTimestamp } from "./events.ts";
import { nodeTaints, type Taint } from "./node-health.ts";
import type { SharedInformers } from "./shared-informers.ts";

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number | null;
}

export interface TaintEvictionOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  now?: () => number;
}

interface Scheduled {
  /** When the deletion is due (ms). */
  fireAt: number;
}

export class TaintEvictionController {
  readonly nodes: Informer;
  readonly pods: Informer;
  readonly loop: ControllerLoop;
  readonly #options: TaintEvictionOptions;
  /** Its events; tests flush it. */
  readonly recorder: EventRecorder;
  readonly #now: () => number;
  /** Pod keys by the node they are bound to (the shared cache has no such index). */
  readonly #podsByNode = new Map<string, Set<string>>();
  readonly #scheduled = new Map<string, Scheduled>();

  constructor(options: TaintEvictionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.recorder = new EventRecorder({
      client: options.client,
      component: "taint-eviction-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key), workers: 2 });
    this.nodes = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "nodes" }),
    });
    this.pods = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "pods" }),
    });
    this.nodes.addEventHandler({
      onAdd: (node) => this.#nodeChanged(node, undefined),
      onUpdate: (old, node) => this.#nodeChanged(node, old),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.#podChanged(pod, undefined),
      onUpdate: (old, pod) => this.#podChanged(pod, old),
      onDelete: (pod) => {
        this.#unindex(objectKey(pod), nodeNameOf(pod));
        this.loop.enqueue(objectKey(pod));
      },
    });
  }

  /** Reconciles one pod key ("namespace/name") against its node's NoExecute taints. */
  async sync(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    const nodeName = pod ? nodeNameOf(pod) : "";
    if (!pod || !nodeName || pod.metadata?.deletionTimestamp) {
      this.#scheduled.delete(key);
      return;
    }
    const node = this.nodes.store.get(nodeName);
    const taints = node ? noExecuteTaints(node) : [];
    if (taints.length === 0) return this.#cancel(pod);
    const tolerations = ((pod.spec as { tolerations?: Toleration[] } | undefined)?.tolerations ??
      []) as Toleration[];
    const matched = matchingTolerations(taints, tolerations);
    const now = this.#now();
    if (!matched) {
      this.#scheduled.delete(key);
      return this.#evict(pod);
    }
    const tolerationMs = minTolerationMs(matched);
    if (tolerationMs < 0) return this.#cancel(pod);
    // A deletion already pending keeps its time, as upstream's does.
    let scheduled = this.#scheduled.get(key);
    if (!scheduled) {
      scheduled = { fireAt: now + tolerationMs };
      this.#scheduled.set(key, scheduled);
    }
    if (now < scheduled.fireAt) {
      this.loop.queue.addAfter(key, scheduled.fireAt - now);
      return;
    }
    this.#scheduled.delete(key);
    await this.#evict(pod);
  }

  #cancel(pod: KubeObject): void {
    const key = objectKey(pod);
    if (!this.#scheduled.delete(key)) return;
    this.recorder.event(pod, "Normal", "TaintManagerEviction", `Cancelling deletion of Pod ${key}`);
  }

  async #evict(pod: KubeObject): Promise<void> {
    const key = objectKey(pod);
    const { client, log } = this.#options;
    this.recorder.event(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${key}`);
    log.info("deleting pod from a tainted node", { pod: key, node: nodeNameOf(pod) });
    const path = resourcePath({
      version: "v1",
      resource: "pods",
      namespace: pod.metadata?.namespace ?? "",
      name: pod.metadata?.name ?? "",
    });
    try {
      if (!hasDisruptionTarget(pod)) {
        await client.patch(
          `${path}/status`,
          {
            status: {
              conditions: [
                {
                  type: "DisruptionTarget",
                  status: "True",
                  reason: "DeletionByTaintManager",
                  message: "Taint manager: deleting due to NoExecute taint",
                  lastTransitionTime: eventTimestamp(new Date(this.#now())),
                },
              ],
            },
          },
          "strategic",
        );
      }
      await client.delete(path, { preconditions: { uid: pod.metadata?.uid ?? "" } });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  #nodeChanged(node: KubeObject, old: KubeObject | undefined): void {
    if (old && sameNoExecuteTaints(noExecuteTaints(old), noExecuteTaints(node))) return;
    for (const key of this.#podsByNode.get(node.metadata?.name ?? "") ?? []) this.loop.enqueue(key);
  }

  #podChanged(pod: KubeObject, old: KubeObject | undefined): void {
    const key = objectKey(pod);
    const nodeName = nodeNameOf(pod);
    const oldNode = old ? nodeNameOf(old) : "";
    if (oldNode !== nodeName) this.#unindex(key, oldNode);
    if (!nodeName) return;
    let keys = this.#podsByNode.get(nodeName);
    if (!keys) {
      keys = new Set();
      this.#podsByNode.set(nodeName, keys);
    }
    keys.add(key);
    const tolerationsChanged =
      !old ||
      oldNode !== nodeName ||
      JSON.stringify((old.spec as { tolerations?: unknown })?.tolerations) !==
        JSON.stringify((pod.spec as { tolerations?: unknown })?.tolerations);
    if (tolerationsChanged || pod.metadata?.deletionTimestamp) this.loop.enqueue(key);
  }

  #unindex(key: string, nodeName: string): void {
    const keys = this.#podsByNode.get(nodeName);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.#podsByNode.delete(nodeName);
  }
}

function nodeNameOf(pod: KubeObject): string {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? "";
}

function hasDisruptionTarget(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type?: string; status?: string }[] })
    ?.conditions;
  return conditions?.some((c) => c.type === "DisruptionTarget" && c.status === "True") ?? false;
}

export function noExecuteTaints(node: KubeObject): Taint[] {
  return nodeTaints(node).filter((t) => t.effect === "NoExecute");
}

function sameNoExecuteTaints(a: Taint[], b: Taint[]): boolean {
  const text = (taints: Taint[]) =>
    taints
      .map((t) => `${t.key}=${t.value ?? ""}`)
      .sort()
      .join(",");
  return text(a) === text(b);
}

/** Upstream's Toleration.ToleratesTaint: an empty key matches every key, Exists every value. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const operator = toleration.operator ?? "";
  if (operator === "Exists") return true;
  if (operator === "" || operator === "Equal")
    return (toleration.value ?? "") === (taint.value ?? "");
  return false;
}

/**
 * Upstream's GetMatchingTolerations: for each taint the first toleration that tolerates
 * it, or undefined when some taint is not tolerated.
 */
export function matchingTolerations(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): Toleration[] | undefined {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const toleration = tolerations.find((t) => tolerates(t, taint));
    if (!toleration) return undefined;
    used.push(toleration);
  }
  return used;
}

/**
 * Upstream's getMinTolerationTime in milliseconds: the shortest tolerationSeconds (a
 * non-positive one means now), or -1 when every toleration holds forever.
 */
export function minTolerationMs(tolerations: readonly Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const toleration of tolerations) {
    const seconds = toleration.tolerationSeconds;
    if (seconds === undefined || seconds === null) continue;
    if (seconds <= 0) return 0;
    min = Math.min(min, seconds);
  }
  return min === Number.POSITIVE_INFINITY ? -1 : min * 1000;
}

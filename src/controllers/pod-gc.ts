/**
 * Pod garbage collector (upstream's pod-garbage-collector).
 * Reconciles, every 20 seconds: terminated pods beyond `terminatedPodThreshold` are
 * deleted, evicted and oldest first; pods bound to a Node that no longer exists
 * (still missing after a quarantine and confirmed by the API server), terminating
 * pods on a NotReady Node tainted out-of-service, and terminating pods never
 * scheduled are marked Failed and deleted at once (grace period 0).
 * Watches: pods, nodes (read from the caches on every pass).
 */
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop } from "./controller.ts";
import { eventTimestamp } from "./events.ts";
import type { SharedInformers } from "./shared-informers.ts";

/** Upstream's --terminated-pod-gc-threshold default; 0 turns that collection off. */
export const DEFAULT_TERMINATED_POD_THRESHOLD = 12500;
const GC_PERIOD_MS = 20_000;
/** A Node missing from the cache may only be late to arrive: wait before believing it. */
const QUARANTINE_MS = 40_000;
const OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service";
const KEY = "gc";

export interface PodGcOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  terminatedPodThreshold?: number;
  periodMs?: number;
  quarantineMs?: number;
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number;
}

interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export class PodGcController {
  readonly pods: Informer;
  readonly nodes: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly #threshold: number;
  readonly #periodMs: number;
  readonly #quarantineMs: number;
  readonly #now: () => number;
  /** Node names pods are bound to but the cache lacks, with when that was first seen. */
  readonly #missingNodes = new Map<string, number>();

  constructor(options: PodGcOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#threshold = options.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_THRESHOLD;
    this.#periodMs = options.periodMs ?? GC_PERIOD_MS;
    this.#quarantineMs = options.quarantineMs ?? QUARANTINE_MS;
    this.#now = options.now ?? Date.now;
    this.loop = new ControllerLoop({ log: options.log, sync: () => this.sync() });
    this.pods = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "pods" }),
    });
    this.nodes = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "nodes" }),
    });
    // One periodic pass over everything rather than a key per object.
    this.loop.enqueue(KEY);
  }

  async sync(): Promise<void> {
    try {
      const pods = this.pods.store.list();
      const nodes = new Map(
        this.nodes.store.list().map((node) => [node.metadata?.name ?? "", node]),
      );
      if (this.#threshold > 0) await this.#gcTerminated(pods);
      await this.#gcTerminating(pods, nodes);
      await this.#gcOrphaned(pods, nodes);
      await this.#gcUnscheduledTerminating(pods);
    } finally {
      this.loop.queue.addAfter(KEY, this.#periodMs);
    }
  }

  async #gcTerminated(pods: KubeObject[]): Promise<void> {
    const terminated = pods.filter(isTerminated);
    const excess = terminated.length - this.#threshold;
    if (excess <= 0) return;
    this.#log.info("garbage collecting pods", { count: excess });
    const doomed = terminated.sort(byEvictionAndCreation).slice(0, excess);
    await this.#all(doomed.map((pod) => this.#markFailedAndDelete(pod)));
  }

  async #gcTerminating(pods: KubeObject[], nodes: Map<string, KubeObject>): Promise<void> {
    const doomed = pods
      .filter((pod) => {
        if (!pod.metadata?.deletionTimestamp) return false;
        const node = nodes.get(nodeNameOf(pod));
        return node !== undefined && !isNodeReady(node) && hasOutOfServiceTaint(node);
      })
      .sort(byCreation);
    await this.#all(doomed.map((pod) => this.#markFailedAndDelete(pod)));
  }

  async #gcOrphaned(pods: KubeObject[], nodes: Map<string, KubeObject>): Promise<void> {
    const now = this.#now();
    const bound = new Set(pods.map(nodeNameOf).filter((name) => name !== ""));
    for (const name of this.#missingNodes.keys()) {
      if (nodes.has(name) || !bound.has(name)) this.#missingNodes.delete(name);
    }
    for (const name of bound) {
      if (!nodes.has(name) && !this.#missingNodes.has(name)) this.#missingNodes.set(name, now);
    }
    const deleted = new Set<string>();
    for (const [name, since] of this.#missingNodes) {
      if (now - since < this.#quarantineMs) continue;
      try {
        await this.#client.get(resourcePath({ version: "v1", resource: "nodes", name }));
        this.#missingNodes.delete(name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        deleted.add(name);
      }
    }
    const doomed = pods.filter((pod) => deleted.has(nodeNameOf(pod)));
    await this.#all(
      doomed.map((pod) =>
        this.#markFailedAndDelete(pod, {
          type: "DisruptionTarget",
          status: "True",
          reason: "DeletionByPodGC",
          message: "PodGC: node no longer exists",
        }),
      ),
    );
  }

  async #gcUnscheduledTerminating(pods: KubeObject[]): Promise<void> {
    const doomed = pods.filter((pod) => pod.metadata?.deletionTimestamp && !nodeNameOf(pod));
    await this.#all(doomed.map((pod) => this.#markFailedAndDelete(pod)));
  }

  /** A pod that has not finished is marked Failed first, so its owner counts it as such. */
  async #markFailedAndDelete(pod: KubeObject, condition?: PodCondition): Promise<void> {
    const { namespace, name } = pod.metadata ?? {};
    const path = resourcePath({ version: "v1", resource: "pods", namespace, name });
    try {
      if (!isTerminated(pod)) {
        const status: Record<string, unknown> = { phase: "Failed" };
        if (condition) {
          status.conditions = [
            { ...condition, lastTransitionTime: eventTimestamp(new Date(this.#now())) },
          ];
        }
        await this.#client.patch(`${path}/status`, { status }, "strategic");
      }
      await this.#client.delete(path, { gracePeriodSeconds: 0 });
      this.#log.info("deleted pod", { pod: `${namespace}/${name}` });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Runs every deletion; the first failure is rethrown once all have been tried. */
  async #all(work: Promise<void>[]): Promise<void> {
    const results = await Promise.allSettled(work);
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}

const nodeNameOf = (pod: KubeObject) =>
  (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? "";

function phaseOf(pod: KubeObject): string {
  return (pod.status as { phase?: string } | undefined)?.phase ?? "";
}

/** Neither pending, running nor unknown (an empty phase counts as terminated, as upstream). */
function isTerminated(pod: KubeObject): boolean {
  return !["Pending", "Running", "Unknown"].includes(phaseOf(pod));
}

function isEvicted(pod: KubeObject): boolean {
  return phaseOf(pod) === "Failed" && (pod.status as { reason?: string }).reason === "Evicted";
}

function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

function byEvictionAndCreation(a: KubeObject, b: KubeObject): number {
  if (isEvicted(a) !== isEvicted(b)) return isEvicted(a) ? -1 : 1;
  return byCreation(a, b);
}

function isNodeReady(node: KubeObject): boolean {
  const conditions = (node.status as { conditions?: { type?: string; status?: string }[] })
    ?.conditions;
  return conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
}

function hasOutOfServiceTaint(node: KubeObject): boolean {
  const taints = (node.spec as { taints?: { key?: string }[] } | undefined)?.taints;
  return taints?.some((taint) => taint.key === OUT_OF_SERVICE_TAINT) === true;
}

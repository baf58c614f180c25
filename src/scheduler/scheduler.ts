/**
 * The scheduler (kube-scheduler's role, pared down): an API client only. It watches the
 * pods no node holds yet and the nodes, takes pods one at a time (higher priority first,
 * then first come), filters and scores the nodes, and binds the pod to the best one; a pod
 * that fits nowhere gets PodScheduled=False/Unschedulable and a FailedScheduling event,
 * and is tried again when a node is added or changes or a pod goes away.
 */
import type { ApiClient } from "../client/api-client.ts";
import { isConflict, isNotFound } from "../client/api-error.ts";
import { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import {
  DEFAULT_SCHEDULER,
  holdsResources,
  isOurs,
  type NodeInfo,
  podPriority,
  schedulePod,
} from "./filters.ts";

const PODS = resourcePath({ version: "v1", resource: "pods" });
const NODES = resourcePath({ version: "v1", resource: "nodes" });

const keyOf = (o: KubeObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

/** Pending pods by priority, then arrival; each key at most once. */
export class SchedulingQueue {
  readonly #pending = new Map<string, { priority: number; seq: number }>();
  #seq = 0;
  #waiter: (() => void) | undefined;
  #closed = false;

  add(key: string, priority: number): void {
    if (this.#closed || this.#pending.has(key)) return;
    this.#pending.set(key, { priority, seq: this.#seq++ });
    this.#waiter?.();
  }

  delete(key: string): void {
    this.#pending.delete(key);
  }

  get length(): number {
    return this.#pending.size;
  }

  /** The next key, waiting while none is pending; undefined once closed. */
  async pop(): Promise<string | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      let best: [string, { priority: number; seq: number }] | undefined;
      for (const entry of this.#pending) {
        const [, e] = entry;
        if (
          !best ||
          e.priority > best[1].priority ||
          (e.priority === best[1].priority && e.seq < best[1].seq)
        ) {
          best = entry;
        }
      }
      if (best) {
        this.#pending.delete(best[0]);
        return best[0];
      }
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
      this.#waiter = undefined;
    }
  }

  close(): void {
    this.#closed = true;
    this.#waiter?.();
  }
}

export interface SchedulerOptions {
  client: ApiClient;
  log: Logger;
}

export class Scheduler {
  readonly unscheduled: Informer;
  readonly assigned: Informer;
  readonly nodes: Informer;
  readonly queue = new SchedulingQueue();
  readonly #client: ApiClient;
  readonly #log: Logger;
  /** Pods that fit nowhere, waiting for the cluster to change. */
  readonly #unschedulable = new Set<string>();
  /** Pods bound by us that the assigned-pods cache has not seen yet: key → node. */
  readonly #assumed = new Map<string, KubeObject>();
  readonly #retryTimers = new Set<ReturnType<typeof setTimeout>>();
  #worker: Promise<void> | undefined;

  constructor(options: SchedulerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    const onError = (path: string) => (error: unknown) =>
      this.#log.warn("list/watch failed", { path, error });
    this.unscheduled = new Informer(this.#client, {
      path: PODS,
      fieldSelector: "spec.nodeName=",
      onError: onError(PODS),
    });
    this.assigned = new Informer(this.#client, {
      path: PODS,
      fieldSelector: "spec.nodeName!=",
      onError: onError(PODS),
    });
    this.nodes = new Informer(this.#client, { path: NODES, onError: onError(NODES) });
    this.unscheduled.addEventHandler({
      onAdd: (pod) => this.#enqueue(pod),
      onUpdate: (_old, pod) => this.#enqueue(pod),
      onDelete: (pod) => {
        this.queue.delete(keyOf(pod));
        this.#unschedulable.delete(keyOf(pod));
      },
    });
    this.assigned.addEventHandler({
      onAdd: (pod) => {
        this.#assumed.delete(keyOf(pod));
      },
      onUpdate: (_old, pod) => {
        this.#assumed.delete(keyOf(pod));
        if (!holdsResources(pod)) this.#retryUnschedulable();
      },
      onDelete: () => this.#retryUnschedulable(),
    });
    this.nodes.addEventHandler({
      onAdd: () => this.#retryUnschedulable(),
      onUpdate: (old, node) => {
        if (old.metadata?.resourceVersion !== node.metadata?.resourceVersion) {
          this.#retryUnschedulable();
        }
      },
    });
  }

  start(): Promise<void> {
    this.unscheduled.start();
    this.assigned.start();
    this.nodes.start();
    const synced = Promise.all([
      this.unscheduled.waitForSync(),
      this.assigned.waitForSync(),
      this.nodes.waitForSync(),
    ]).then(() => undefined);
    this.#worker = synced.then(() => this.#run());
    return synced;
  }

  async stop(): Promise<void> {
    this.queue.close();
    for (const timer of this.#retryTimers) clearTimeout(timer);
    await this.#worker;
    await Promise.all([this.unscheduled.stop(), this.assigned.stop(), this.nodes.stop()]);
  }

  #enqueue(pod: KubeObject): void {
    if (!isOurs(pod)) return;
    const key = keyOf(pod);
    // An unschedulable pod waits for the cluster to change, not for its own updates
    // (which include the condition we write).
    if (this.#unschedulable.has(key)) return;
    this.queue.add(key, podPriority(pod));
  }

  #retryUnschedulable(): void {
    const keys = [...this.#unschedulable];
    this.#unschedulable.clear();
    for (const key of keys) {
      const pod = this.unscheduled.store.get(key);
      if (pod) this.#enqueue(pod);
    }
  }

  async #run(): Promise<void> {
    for (let key = await this.queue.pop(); key !== undefined; key = await this.queue.pop()) {
      try {
        await this.scheduleOne(key);
      } catch (error) {
        this.#log.warn("scheduling failed; retrying", { pod: key, error });
        const timer = setTimeout(() => {
          this.#retryTimers.delete(timer);
          const pod = this.unscheduled.store.get(key);
          if (pod) this.#enqueue(pod);
        }, 1000);
        this.#retryTimers.add(timer);
      }
    }
  }

  /** The nodes with the pods that hold their resources, assumed bindings included. */
  nodeInfos(): NodeInfo[] {
    const byNode = new Map<string, KubeObject[]>();
    const add = (pod: KubeObject) => {
      const node = (pod.spec as { nodeName?: string }).nodeName ?? "";
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    };
    for (const pod of this.assigned.store.list()) if (holdsResources(pod)) add(pod);
    for (const pod of this.#assumed.values()) add(pod);
    return this.nodes.store
      .list()
      .map((node) => ({ node, pods: byNode.get(node.metadata?.name ?? "") ?? [] }));
  }

  async scheduleOne(key: string): Promise<void> {
    const pod = this.unscheduled.store.get(key);
    if (!pod || !isOurs(pod)) return;
    const namespace = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    const result = schedulePod(pod, this.nodeInfos());
    if (result.node === undefined) {
      this.#unschedulable.add(key);
      this.#log.info("pod unschedulable", { pod: key, message: result.message });
      await this.#markUnschedulable(pod, result.message);
      await this.#event(pod, "Warning", "FailedScheduling", result.message);
      return;
    }
    const podPath = resourcePath({ version: "v1", resource: "pods", namespace, name });
    try {
      await this.#client.create(`${podPath}/binding`, {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name, namespace, uid: pod.metadata?.uid },
        target: { apiVersion: "v1", kind: "Node", name: result.node },
      });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    this.#assumed.set(key, { ...pod, spec: { ...(pod.spec ?? {}), nodeName: result.node } });
    this.#log.info("pod bound", { pod: key, node: result.node });
    await this.#event(
      pod,
      "Normal",
      "Scheduled",
      `Successfully assigned ${namespace}/${name} to ${result.node}`,
    );
  }

  async #markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    const path = resourcePath({
      version: "v1",
      resource: "pods",
      namespace: pod.metadata?.namespace ?? "",
      name: pod.metadata?.name ?? "",
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const current = await this.#client.get(path);
        const status = (current.status ?? {}) as {
          conditions?: Record<string, unknown>[];
        };
        const conditions = (status.conditions ?? []).filter((c) => c.type !== "PodScheduled");
        const previous = (status.conditions ?? []).find((c) => c.type === "PodScheduled");
        const unchanged =
          previous?.status === "False" &&
          previous.reason === "Unschedulable" &&
          previous.message === message;
        if (unchanged) return;
        conditions.push({
          type: "PodScheduled",
          status: "False",
          lastProbeTime: null,
          lastTransitionTime:
            previous?.status === "False"
              ? previous.lastTransitionTime
              : new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          reason: "Unschedulable",
          message,
        });
        current.status = { ...status, conditions };
        await this.#client.updateStatus(path, current);
        return;
      } catch (error) {
        if (isNotFound(error)) return;
        if (!isConflict(error)) throw error;
      }
    }
  }

  async #event(pod: KubeObject, type: string, reason: string, message: string): Promise<void> {
    const namespace = pod.metadata?.namespace ?? "";
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    try {
      await this.#client.create(resourcePath({ version: "v1", resource: "events", namespace }), {
        apiVersion: "v1",
        kind: "Event",
        metadata: {
          name: `${pod.metadata?.name ?? ""}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
          namespace,
        },
        involvedObject: {
          apiVersion: "v1",
          kind: "Pod",
          namespace,
          name: pod.metadata?.name,
          uid: pod.metadata?.uid,
          resourceVersion: pod.metadata?.resourceVersion,
        },
        type,
        reason,
        message,
        source: { component: DEFAULT_SCHEDULER },
        reportingComponent: DEFAULT_SCHEDULER,
        reportingInstance: DEFAULT_SCHEDULER,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    } catch (error) {
      this.#log.warn("could not record event", { pod: keyOf(pod), reason, error });
    }
  }
}

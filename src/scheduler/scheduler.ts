/**
 * The scheduler (kube-scheduler's role): an API client only. Informers feed the cache
 * (nodes and the pods on them) and the scheduling queue (pods without a node whose
 * schedulerName is one of the profiles). One loop takes the most important pod, runs
 * the scheduling cycle synchronously (filter, score, or preemption when nothing fits),
 * assumes the pod onto the chosen node and goes on with the next pod while the binding
 * cycle (PreBind, Bind) runs in the background; a failed binding forgets the assumed
 * pod and retries it after back-off. A pod that fits nowhere gets PodScheduled=False,
 * a FailedScheduling event with upstream's message, and waits for a cluster event that
 * could help it.
 */
import type { ApiClient } from "../client/api-client.ts";
import { isNotFound } from "../client/api-error.ts";
import { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import { EventRecorder, eventTimestamp } from "../controllers/events.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { SchedulerCache } from "./cache.ts";
import {
  Action,
  ASSIGNED_POD_ADD,
  ASSIGNED_POD_DELETE,
  type ClusterEvent,
  type EventResource,
  event,
  NODE_ADD,
  NODE_DELETE,
  nodeUpdateActions,
  podUpdateActions,
} from "./cluster-events.ts";
import { defaultSchedulerConfiguration, type SchedulerConfiguration } from "./config.ts";
import type { CycleState, Framework } from "./framework.ts";
import type { Handle, Listers } from "./handle.ts";
import { Nominator } from "./nominator.ts";
import { PodInfo } from "./pod-info.ts";
import { type QueuedPodInfo, SchedulingQueue } from "./queue.ts";
import { buildFramework } from "./registry.ts";
import { SchedulingAlgorithm } from "./schedule-pod.ts";
import { Code, fitErrorMessage } from "./status.ts";
import { isAssigned, podKey, podStatus, schedulerNameOf } from "./types.ts";

export interface SchedulerOptions {
  client: ApiClient;
  log: Logger;
  config?: SchedulerConfiguration;
  /** For tests: the tie-break among equally good nodes. */
  random?: () => number;
}

/** Events carry at most this much (upstream truncates FailedScheduling messages too). */
const MAX_MESSAGE = 1024;
/** Yield to I/O this often while pods keep coming, so informers and bindings progress. */
const YIELD_EVERY_MS = 5;

const path = (group: string, version: string, resource: string) =>
  resourcePath({ group, version, resource });

const withKind = (pod: KubeObject): KubeObject => ({ ...pod, apiVersion: "v1", kind: "Pod" });

const truncate = (message: string) =>
  message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly nominator = new Nominator();
  readonly queue: SchedulingQueue;
  readonly frameworks = new Map<string, Framework>();
  readonly pods: Informer;
  readonly nodes: Informer;
  readonly #informers: Informer[] = [];
  readonly #client: ApiClient;
  readonly #log: Logger;
  readonly #algorithm: SchedulingAlgorithm;
  readonly #recorders = new Map<string, EventRecorder>();
  readonly #storageListeners = new Set<() => void>();
  readonly #lister: (resource: string) => Informer;
  #worker: Promise<void> | undefined;
  #stopped = false;
  /** Pods bound so far (for logs and benchmarks). */
  scheduled = 0;

  constructor(options: SchedulerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    const config = options.config ?? defaultSchedulerConfiguration();
    const informer = (informerPath: string, fieldSelector?: string) => {
      const created = new Informer(this.#client, {
        path: informerPath,
        fieldSelector,
        onError: (error) => this.#log.warn("list/watch failed", { path: informerPath, error }),
      });
      this.#informers.push(created);
      return created;
    };
    // Finished pods hold nothing and are never scheduled (upstream's pod informer too).
    this.pods = informer(path("", "v1", "pods"), "status.phase!=Succeeded,status.phase!=Failed");
    this.nodes = informer(path("", "v1", "nodes"));
    const others: Record<string, Informer> = {
      namespaces: informer(path("", "v1", "namespaces")),
      persistentvolumeclaims: informer(path("", "v1", "persistentvolumeclaims")),
      persistentvolumes: informer(path("", "v1", "persistentvolumes")),
      storageclasses: informer(path("storage.k8s.io", "v1", "storageclasses")),
      poddisruptionbudgets: informer(path("policy", "v1", "poddisruptionbudgets")),
      services: informer(path("", "v1", "services")),
      replicationcontrollers: informer(path("", "v1", "replicationcontrollers")),
      replicasets: informer(path("apps", "v1", "replicasets")),
      statefulsets: informer(path("apps", "v1", "statefulsets")),
    };
    this.#lister = (resource) => others[resource] as Informer;
    const listers = this.#listers();
    for (const profile of config.profiles) {
      const recorder = new EventRecorder({
        client: this.#client,
        component: profile.schedulerName,
        log: this.#log,
      });
      this.#recorders.set(profile.schedulerName, recorder);
      let framework: Framework | undefined;
      const handle: Handle = {
        cache: this.cache,
        listers,
        client: this.#client,
        events: recorder,
        nominations: this.nominator,
        log: this.#log,
        framework: () => framework as Framework,
        onStorageChange: (listener) => {
          this.#storageListeners.add(listener);
          return () => this.#storageListeners.delete(listener);
        },
      };
      framework = buildFramework(profile, handle, this.nominator, config.percentageOfNodesToScore);
      this.frameworks.set(profile.schedulerName, framework);
    }
    const eventsByPlugin = new Map<string, ClusterEvent[]>();
    for (const framework of this.frameworks.values()) {
      for (const plugin of framework.allPlugins()) {
        eventsByPlugin.set(plugin.name, plugin.eventsToRegister?.() ?? []);
      }
    }
    this.queue = new SchedulingQueue({
      preEnqueue: (pod) => this.frameworks.get(schedulerNameOf(pod.pod))?.runPreEnqueue(pod),
      eventsByPlugin,
      initialBackoffMs: config.podInitialBackoffSeconds * 1000,
      maxBackoffMs: config.podMaxBackoffSeconds * 1000,
    });
    this.#algorithm = new SchedulingAlgorithm(
      this.cache,
      config.percentageOfNodesToScore,
      options.random,
    );
    this.#watchPods();
    this.#watchNodes();
    this.#watchStorage(others);
  }

  /** Starts the informers; resolves once they have synced and the loop runs. */
  async start(): Promise<void> {
    for (const informer of this.#informers) informer.start();
    await Promise.all(this.#informers.map((informer) => informer.waitForSync()));
    if (this.#stopped) return;
    this.queue.start();
    this.#worker = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.queue.close();
    await this.#worker;
    await Promise.all(this.#informers.map((informer) => informer.stop()));
  }

  #listers(): Listers {
    const list = (resource: string, namespace: string) =>
      this.#lister(resource).store.byIndex("namespace", namespace);
    return {
      namespaceLabels: (name) => this.#lister("namespaces").store.get(name)?.metadata?.labels ?? {},
      namespaces: () => this.#lister("namespaces").store.list(),
      persistentVolumeClaim: (namespace, name) =>
        this.#lister("persistentvolumeclaims").store.get(`${namespace}/${name}`),
      persistentVolume: (name) => this.#lister("persistentvolumes").store.get(name),
      persistentVolumes: () => this.#lister("persistentvolumes").store.list(),
      storageClass: (name) => this.#lister("storageclasses").store.get(name),
      podDisruptionBudgets: () => this.#lister("poddisruptionbudgets").store.list(),
      selectorsOwners: (namespace) => ({
        services: list("services", namespace),
        replicationControllers: list("replicationcontrollers", namespace),
        replicaSets: list("replicasets", namespace),
        statefulSets: list("statefulsets", namespace),
      }),
      pendingPod: (key) => {
        const pod = this.pods.store.get(key);
        return pod && !isAssigned(pod) ? pod : undefined;
      },
    };
  }

  /** Pods this scheduler is responsible for: unassigned, not deleting, one of our profiles. */
  #responsible(pod: KubeObject): boolean {
    return (
      !isAssigned(pod) &&
      !pod.metadata?.deletionTimestamp &&
      this.frameworks.has(schedulerNameOf(pod))
    );
  }

  #move(e: ClusterEvent): void {
    this.queue.moveAllToActiveOrBackoff(e);
  }

  #watchPods(): void {
    this.pods.addEventHandler({
      onAdd: (pod) => {
        if (isAssigned(pod)) {
          this.cache.addPod(pod);
          this.#move(ASSIGNED_POD_ADD);
        } else if (this.#responsible(pod)) {
          const info = new PodInfo(pod);
          this.nominator.add(info);
          this.queue.add(info);
        }
      },
      onUpdate: (old, pod) => {
        if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
        const key = podKey(pod);
        if (isAssigned(pod)) {
          if (!isAssigned(old)) {
            this.queue.delete(key);
            this.nominator.delete(key);
            this.cache.addPod(pod);
            this.#move(ASSIGNED_POD_ADD);
            return;
          }
          this.cache.updatePod(pod);
          if (this.queue.counts.unschedulable > 0) {
            const actions = podUpdateActions(old, pod);
            if (actions) this.#move(event("Pod", actions, "AssignedPodUpdate"));
          }
          return;
        }
        if (!this.#responsible(pod)) {
          this.queue.delete(key);
          this.nominator.delete(key);
          return;
        }
        // Being bound by us: the binding cycle owns it.
        if (this.cache.isAssumed(key)) return;
        const info = new PodInfo(pod);
        this.nominator.update(old, info);
        this.queue.update(old, info);
      },
      onDelete: (pod) => {
        const key = podKey(pod);
        this.queue.delete(key);
        this.nominator.delete(key);
        if (isAssigned(pod) || this.cache.getPod(key)) {
          this.cache.removePod(pod);
          this.#move(ASSIGNED_POD_DELETE);
        }
      },
    });
  }

  #watchNodes(): void {
    this.nodes.addEventHandler({
      onAdd: (node) => {
        this.cache.addNode(node);
        this.#move(NODE_ADD);
      },
      onUpdate: (old, node) => {
        if (old.metadata?.resourceVersion === node.metadata?.resourceVersion) return;
        this.cache.addNode(node);
        const actions = nodeUpdateActions(old, node);
        if (actions) this.#move(event("Node", actions, "NodeUpdate"));
      },
      onDelete: (node) => {
        this.cache.removeNode(node);
        this.#move(NODE_DELETE);
      },
    });
  }

  #watchStorage(informers: Record<string, Informer>): void {
    const watch = (informer: Informer, resource: EventResource) => {
      const changed = (actions: number) => {
        this.#move(event(resource, actions, resource));
        for (const listener of [...this.#storageListeners]) listener();
      };
      informer.addEventHandler({
        onAdd: () => changed(Action.Add),
        onUpdate: (old, object) => {
          if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
            changed(Action.Update);
          }
        },
        onDelete: () => changed(Action.Delete),
      });
    };
    watch(informers.persistentvolumeclaims as Informer, "PersistentVolumeClaim");
    watch(informers.persistentvolumes as Informer, "PersistentVolume");
    watch(informers.storageclasses as Informer, "StorageClass");
  }

  async #run(): Promise<void> {
    let lastYield = performance.now();
    for (let queued = await this.queue.pop(); queued; queued = await this.queue.pop()) {
      try {
        this.scheduleOne(queued);
      } catch (error) {
        this.#log.error("scheduling cycle failed", { pod: queued.key, error });
        queued.unschedulablePlugins = new Set();
        this.queue.addUnschedulableIfNotPresent(queued);
      }
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  }

  /** One scheduling cycle (synchronous); the binding cycle continues in the background. */
  scheduleOne(queued: QueuedPodInfo): void {
    const key = queued.key;
    const current = this.pods.store.get(key);
    const framework = current ? this.frameworks.get(schedulerNameOf(current)) : undefined;
    if (!current || !framework || !this.#responsible(current) || this.cache.isAssumed(key)) {
      this.queue.done(key);
      return;
    }
    if (queued.podInfo.pod !== current) queued.podInfo = new PodInfo(current);
    const pod = queued.podInfo;
    const result = this.#algorithm.schedulePod(framework, pod);
    if ("error" in result) {
      this.#handleFailure(framework, queued, result.error, "SchedulerError");
      return;
    }
    if ("fitError" in result) {
      const { numAllNodes, diagnosis } = result.fitError;
      let nominatedNodeName: string | undefined;
      if (framework.plugins.postFilter.length > 0) {
        const post = framework.runPostFilter(result.state, pod, diagnosis.nodeToStatus);
        nominatedNodeName = post.nominatedNodeName;
        if (post.status.code !== Code.Success && post.status.reasons.length > 0) {
          diagnosis.postFilterMsg = post.status.message();
        }
      }
      diagnosis.unschedulablePlugins.delete("");
      queued.unschedulablePlugins = diagnosis.unschedulablePlugins;
      this.#handleFailure(
        framework,
        queued,
        fitErrorMessage(numAllNodes, diagnosis),
        "Unschedulable",
        nominatedNodeName,
      );
      return;
    }
    const assumed = pod.withNodeName(result.node);
    this.cache.assumePod(assumed);
    const reserved = framework.runReserve(result.state, assumed, result.node);
    if (reserved) {
      framework.runUnreserve(result.state, assumed, result.node);
      this.cache.forgetPod(key);
      this.#handleFailure(framework, queued, reserved.message(), "SchedulerError");
      return;
    }
    this.nominator.delete(key);
    this.queue.done(key);
    void this.#bindingCycle(framework, result.state, queued, assumed, result.node);
  }

  async #bindingCycle(
    framework: Framework,
    state: CycleState,
    queued: QueuedPodInfo,
    assumed: PodInfo,
    nodeName: string,
  ): Promise<void> {
    let failure: string | undefined;
    try {
      const status =
        (await framework.runPreBind(state, assumed, nodeName)) ??
        (await framework.runBind(state, assumed, nodeName));
      if (status) failure = status.message();
    } catch (error) {
      failure = (error as Error).message;
    }
    if (failure === undefined) {
      this.scheduled++;
      this.#log.debug("pod bound", { pod: assumed.key, node: nodeName });
      this.#recorders
        .get(framework.schedulerName)
        ?.event(
          withKind(assumed.pod),
          "Normal",
          "Scheduled",
          `Successfully assigned ${assumed.namespace}/${assumed.name} to ${nodeName}`,
        );
      return;
    }
    framework.runUnreserve(state, assumed, nodeName);
    this.cache.forgetPod(assumed.key);
    // The room it held is free again.
    this.#move(ASSIGNED_POD_DELETE);
    this.#log.info("binding failed", { pod: assumed.key, node: nodeName, error: failure });
    queued.unschedulablePlugins = new Set();
    this.#handleFailure(framework, queued, `Binding rejected: ${failure}`, "SchedulerError");
  }

  /**
   * Upstream handleSchedulingFailure: back to the queue (unless the pod is gone or was
   * bound meanwhile), the nomination recorded, a FailedScheduling event, and the
   * PodScheduled condition (with status.nominatedNodeName) updated.
   */
  #handleFailure(
    framework: Framework,
    queued: QueuedPodInfo,
    message: string,
    reason: "Unschedulable" | "SchedulerError",
    nominatedNodeName?: string,
  ): void {
    const key = queued.key;
    const current = this.pods.store.get(key);
    if (!current || isAssigned(current)) {
      this.queue.done(key);
      return;
    }
    queued.podInfo = new PodInfo(current);
    if (nominatedNodeName === "") this.nominator.delete(key);
    else if (nominatedNodeName) this.nominator.add(queued.podInfo, nominatedNodeName);
    if (reason === "SchedulerError") queued.unschedulablePlugins = new Set();
    this.queue.addUnschedulableIfNotPresent(queued);
    this.#log.debug("pod unschedulable", { pod: key, reason, message });
    const text = truncate(message);
    this.#recorders
      .get(framework.schedulerName)
      ?.event(withKind(current), "Warning", "FailedScheduling", text);
    void this.#updateStatus(current, reason, text, nominatedNodeName);
  }

  /** PodScheduled=False with the reason and message, and the nomination, when changed. */
  async #updateStatus(
    pod: KubeObject,
    reason: string,
    message: string,
    nominatedNodeName: string | undefined,
  ): Promise<void> {
    const status = podStatus(pod);
    const previous = (status.conditions ?? []).find((c) => c.type === "PodScheduled");
    const conditionChanged = !(
      previous?.status === "False" &&
      previous.reason === reason &&
      previous.message === message
    );
    const nominationChanged =
      nominatedNodeName !== undefined && nominatedNodeName !== (status.nominatedNodeName ?? "");
    if (!conditionChanged && !nominationChanged) return;
    const patch: Record<string, unknown> = {};
    if (conditionChanged) {
      patch.conditions = [
        {
          type: "PodScheduled",
          status: "False",
          reason,
          message,
          lastProbeTime: null,
          lastTransitionTime:
            previous?.status === "False" ? previous.lastTransitionTime : eventTimestamp(),
        },
      ];
    }
    if (nominationChanged) patch.nominatedNodeName = nominatedNodeName || null;
    const podPath = resourcePath({
      version: "v1",
      resource: "pods",
      namespace: pod.metadata?.namespace ?? "",
      name: pod.metadata?.name ?? "",
    });
    try {
      await this.#client.patch(`${podPath}/status`, { status: patch }, "strategic");
    } catch (error) {
      if (!isNotFound(error)) {
        this.#log.warn("could not update pod status", { pod: podKey(pod), error });
      }
    }
  }
}

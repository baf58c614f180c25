/**
 * Node lifecycle controller (upstream's node-lifecycle-controller).
 * Reconciles: every node-monitor period, each Node whose Lease (kube-node-lease) and
 * Ready heartbeat have not moved for the grace period gets its Ready, MemoryPressure,
 * DiskPressure and PIDPressure conditions set to Unknown, its pods marked not Ready,
 * and (rate-limited per zone) the NoExecute taint unreachable (not-ready when Ready is
 * False); a node that recovers loses them. On every Node change, the NoSchedule taints
 * its conditions and spec.unschedulable call for (TaintNodesByCondition).
 * When every zone is fully disrupted the fault is most likely the control plane's own
 * network, so it stops tainting and lifts the NoExecute taints (upstream's "master
 * disruption mode"). Evicting pods from tainted nodes is the taint-eviction controller's.
 * Owns: those conditions and taints, pods' Ready condition on lost nodes.
 * Watches: Nodes, node Leases, Pods.
 */
import { isConflict, isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import { EventRecorder, eventTimestamp } from "./events.ts";
import {
  assessNodeHealth,
  NOT_READY_NO_EXECUTE,
  type NodeHealth,
  nodeTaints,
  noScheduleTaintChanges,
  readyCondition,
  sameTaint,
  swappedTaints,
  type Taint,
  TokenBucket,
  UNREACHABLE_NO_EXECUTE,
  type ZoneState,
  zoneKey,
  zoneState,
} from "./node-health.ts";
import type { SharedInformers } from "./shared-informers.ts";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";
const MONITOR_KEY = "monitor";
/** Tries per taint write before giving up until the next pass (upstream retries 5 times). */
const TAINT_WRITE_ATTEMPTS = 5;

export interface NodeLifecycleOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  /** Upstream --node-monitor-grace-period: 40 s. */
  gracePeriodMs?: number;
  /** Upstream --node-startup-grace-period: 60 s, for nodes that never posted a status. */
  startupGracePeriodMs?: number;
  /** Upstream --node-monitor-period: 5 s. */
  monitorPeriodMs?: number;
  /** Nodes tainted per second and zone (upstream --node-eviction-rate 0.1). */
  evictionQps?: number;
  /** The same in a partially disrupted large zone (upstream --secondary-node-eviction-rate). */
  secondaryEvictionQps?: number;
  /** Zones up to this size stop tainting when partially disrupted (upstream 50). */
  largeClusterSizeThreshold?: number;
  /** Share of not-Ready nodes that makes a zone partially disrupted (upstream 0.55). */
  unhealthyZoneThreshold?: number;
  now?: () => number;
}

/** Node names queued for a NoExecute taint in one zone, drained at the zone's rate. */
class ZoneTainter {
  readonly pending = new Map<string, number>();
  limiter: TokenBucket;

  constructor(
    qps: number,
    private readonly now: () => number,
  ) {
    this.limiter = new TokenBucket(qps, 1, now);
  }

  /** Upstream's SwapLimiter: with burst 1, a limiter that was empty hands an empty one on. */
  swapLimiter(qps: number): void {
    if (this.limiter.qps === qps) return;
    const next = new TokenBucket(qps, 1, this.now);
    if (qps > 0 && !this.limiter.tryAccept()) next.tryAccept();
    this.limiter = next;
  }

  async drain(taint: (name: string) => Promise<boolean>): Promise<void> {
    for (const [name, processAt] of [...this.pending]) {
      if (processAt > this.now()) continue;
      if (!this.limiter.tryAccept()) return;
      this.pending.delete(name);
      if (!(await taint(name))) this.pending.set(name, this.now() + 50);
    }
  }
}

export class NodeLifecycleController {
  readonly nodes: Informer;
  readonly leases: Informer;
  readonly pods: Informer;
  readonly loop: ControllerLoop;
  readonly #options: NodeLifecycleOptions;
  /** Its events; tests flush it. */
  readonly recorder: EventRecorder;
  readonly #now: () => number;
  readonly #health = new Map<string, NodeHealth>();
  readonly #known = new Set<string>();
  readonly #tainters = new Map<string, ZoneTainter>();
  readonly #zoneStates = new Map<string, ZoneState>();
  /** Nodes whose pods could not all be marked not Ready; tried again next pass. */
  readonly #podsToRetry = new Set<string>();

  constructor(options: NodeLifecycleOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.recorder = new EventRecorder({
      client: options.client,
      component: "node-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key), workers: 2 });
    this.nodes = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "nodes" }),
    });
    this.leases = options.informers.informer({
      path: resourcePath({
        group: "coordination.k8s.io",
        version: "v1",
        resource: "leases",
        namespace: NODE_LEASE_NAMESPACE,
      }),
    });
    this.pods = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "pods" }),
    });
    this.nodes.addEventHandler({
      onAdd: (node) => this.loop.enqueue(`node/${node.metadata?.name}`),
      onUpdate: (old, node) => {
        if (!isResync(old, node)) this.loop.enqueue(`node/${node.metadata?.name}`);
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => {
        if (nodeNameOf(pod)) this.loop.enqueue(`pod/${objectKey(pod)}`);
      },
      onUpdate: (old, pod) => {
        if (nodeNameOf(pod) && nodeNameOf(pod) !== nodeNameOf(old)) {
          this.loop.enqueue(`pod/${objectKey(pod)}`);
        }
      },
    });
    this.loop.enqueue(MONITOR_KEY);
  }

  async sync(key: string): Promise<void> {
    if (key === MONITOR_KEY) {
      try {
        await this.monitor();
      } finally {
        this.loop.queue.addAfter(MONITOR_KEY, this.#options.monitorPeriodMs ?? 5_000);
      }
      return;
    }
    if (key.startsWith("node/")) return this.#syncNoScheduleTaints(key.slice("node/".length));
    if (key.startsWith("pod/")) return this.#syncPod(key.slice("pod/".length));
  }

  /** One pass over every node (upstream's monitorNodeHealth), then the tainting queues. */
  async monitor(): Promise<void> {
    const nodes = this.nodes.store.list();
    this.#noticeAddedAndDeleted(nodes);
    const podsByNode = new Map<string, KubeObject[]>();
    for (const pod of this.pods.store.list()) {
      const nodeName = nodeNameOf(pod);
      if (!nodeName) continue;
      const list = podsByNode.get(nodeName);
      if (list) list.push(pod);
      else podsByNode.set(nodeName, [pod]);
    }
    const zones = new Map<string, (string | undefined)[]>();
    for (const node of nodes) {
      const name = node.metadata?.name ?? "";
      try {
        const ready = await this.#checkNode(node, podsByNode.get(name) ?? []);
        const zone = zoneKey(node);
        zones.set(zone, [...(zones.get(zone) ?? []), ready]);
      } catch (error) {
        this.#options.log.warn("checking node health failed; will retry", { node: name, error });
      }
    }
    await this.#handleDisruption(zones, nodes);
    for (const tainter of this.#tainters.values()) {
      await tainter.drain((name) => this.#taintNoExecute(name));
    }
  }

  /** Returns the node's Ready status after the check (undefined when it has none). */
  async #checkNode(node: KubeObject, pods: KubeObject[]): Promise<string | undefined> {
    const { client, gracePeriodMs, startupGracePeriodMs } = this.#options;
    const name = node.metadata?.name ?? "";
    const lease = this.leases.store.get(`${NODE_LEASE_NAMESPACE}/${name}`);
    const renewTime = (lease?.spec as { renewTime?: string } | undefined)?.renewTime;
    const assessment = assessNodeHealth(node, this.#health.get(name), renewTime, this.#now(), {
      gracePeriodMs: gracePeriodMs ?? 40_000,
      startupGracePeriodMs: startupGracePeriodMs ?? 60_000,
    });
    if (assessment.conditions) {
      const updated = structuredClone(node);
      updated.status = { ...(updated.status as object), conditions: assessment.conditions };
      await client.updateStatus(nodePath(name), updated);
      this.#options.log.info("node stopped posting its status", { node: name });
    }
    this.#health.set(name, assessment.health);
    const { observedReady, currentReady } = assessment;
    if (!currentReady) return undefined;
    await this.#processTaintBasedEviction(node, observedReady.status);
    const becameNotReady = currentReady.status !== "True" && observedReady.status === "True";
    if (becameNotReady) {
      this.recorder.event(
        nodeRef(node),
        "Normal",
        "NodeNotReady",
        `Node ${name} status is now: NodeNotReady`,
      );
    }
    if (becameNotReady || (this.#podsToRetry.has(name) && observedReady.status !== "True")) {
      if (!(await this.#markPodsNotReady(pods, name))) {
        this.#podsToRetry.add(name);
        return currentReady.status;
      }
    }
    this.#podsToRetry.delete(name);
    return currentReady.status;
  }

  #noticeAddedAndDeleted(nodes: KubeObject[]): void {
    const names = new Set(nodes.map((node) => node.metadata?.name ?? ""));
    for (const node of nodes) {
      const name = node.metadata?.name ?? "";
      if (this.#known.has(name)) continue;
      this.#known.add(name);
      this.recorder.event(
        node,
        "Normal",
        "RegisteredNode",
        `Registered Node ${name} in Controller`,
      );
      this.#tainter(zoneKey(node));
    }
    for (const name of [...this.#known]) {
      if (names.has(name)) continue;
      this.#known.delete(name);
      this.#health.delete(name);
      this.#podsToRetry.delete(name);
      const ref = { apiVersion: "v1", kind: "Node", metadata: { name, uid: name } };
      this.recorder.event(ref, "Normal", "RemovingNode", `Removing Node ${name} from Controller`);
    }
  }

  /** Upstream's processTaintBaseEviction, judged on the Ready status the node reported. */
  async #processTaintBasedEviction(node: KubeObject, observed: string): Promise<void> {
    const taints = nodeTaints(node);
    const has = (taint: Taint) => taints.some((t) => sameTaint(t, taint));
    const name = node.metadata?.name ?? "";
    if (observed === "False" || observed === "Unknown") {
      const [wanted, opposite] =
        observed === "False"
          ? [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE]
          : [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
      // Already tainted the other way: swap at once, no need to wait for the rate limit.
      if (has(opposite)) await this.#swapTaints(node, [wanted], [opposite]);
      else if (!has(wanted)) this.#tainter(zoneKey(node)).pending.set(name, 0);
      return;
    }
    if (observed === "True") await this.#markReachable(node);
  }

  /** Lifts both NoExecute taints and forgets any queued tainting. */
  async #markReachable(node: KubeObject): Promise<boolean> {
    this.#tainter(zoneKey(node)).pending.delete(node.metadata?.name ?? "");
    return this.#swapTaints(node, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE]);
  }

  async #taintNoExecute(name: string): Promise<boolean> {
    const node = this.nodes.store.get(name);
    if (!node) return true;
    const status = readyCondition(node)?.status;
    // The two taints mirror the Ready condition, so they exclude each other.
    if (status === "False")
      return this.#swapTaints(node, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE]);
    if (status === "Unknown")
      return this.#swapTaints(node, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE]);
    return true;
  }

  /** Upstream's handleDisruption: each zone's tainting rate follows its state. */
  async #handleDisruption(
    zones: Map<string, (string | undefined)[]>,
    nodes: KubeObject[],
  ): Promise<void> {
    const threshold = this.#options.unhealthyZoneThreshold ?? 0.55;
    const next = new Map<string, ZoneState>();
    let allFullyDisrupted = true;
    for (const [zone, statuses] of zones) {
      const state = zoneState(statuses, threshold);
      next.set(zone, state);
      if (state !== "FullDisruption") allFullyDisrupted = false;
      if (!this.#zoneStates.has(zone)) this.#zoneStates.set(zone, "Initial");
    }
    let allWereFullyDisrupted = true;
    for (const [zone, state] of [...this.#zoneStates]) {
      if (!zones.has(zone)) {
        this.#zoneStates.delete(zone);
        continue;
      }
      if (state !== "FullDisruption") allWereFullyDisrupted = false;
    }
    if (allFullyDisrupted && allWereFullyDisrupted) return;
    const { log } = this.#options;
    if (allFullyDisrupted) {
      log.info("every node is not Ready: entering master disruption mode");
      for (const node of nodes) await this.#markReachable(node);
      for (const zone of this.#zoneStates.keys()) {
        this.#tainter(zone).swapLimiter(0);
        this.#zoneStates.set(zone, "FullDisruption");
      }
      return;
    }
    if (allWereFullyDisrupted) {
      log.info("some nodes are Ready: leaving master disruption mode");
      // Every node gets a fresh grace period rather than being judged on the outage.
      const now = this.#now();
      for (const health of this.#health.values()) health.probeTimestamp = now;
    }
    for (const [zone, state] of this.#zoneStates) {
      const wanted = next.get(zone) ?? "Normal";
      if (state === wanted && !allWereFullyDisrupted) continue;
      if (state !== wanted) log.info("zone changed state", { zone, state: wanted });
      this.#tainter(zone).swapLimiter(this.#zoneQps(zones.get(zone)?.length ?? 0, wanted));
      this.#zoneStates.set(zone, wanted);
    }
  }

  #zoneQps(size: number, state: ZoneState): number {
    const qps = this.#options.evictionQps ?? 0.1;
    if (state !== "PartialDisruption") return qps;
    return size <= (this.#options.largeClusterSizeThreshold ?? 50)
      ? 0
      : (this.#options.secondaryEvictionQps ?? 0.01);
  }

  #tainter(zone: string): ZoneTainter {
    let tainter = this.#tainters.get(zone);
    if (!tainter) {
      tainter = new ZoneTainter(this.#options.evictionQps ?? 0.1, this.#now);
      this.#tainters.set(zone, tainter);
    }
    return tainter;
  }

  /** Upstream's MarkPodsNotReady; false when some pod could not be updated. */
  async #markPodsNotReady(pods: KubeObject[], nodeName: string): Promise<boolean> {
    let ok = true;
    for (const pod of pods) {
      if (nodeNameOf(pod) !== nodeName) continue;
      const conditions = (pod.status as { conditions?: PodCondition[] } | undefined)?.conditions;
      const ready = conditions?.find((c) => c.type === "Ready");
      if (!ready || ready.status === "False") continue;
      const updated = structuredClone(pod);
      const status = updated.status as { conditions: PodCondition[] };
      status.conditions = status.conditions.map((c) =>
        c.type === "Ready"
          ? { ...c, status: "False", lastTransitionTime: eventTimestamp(new Date(this.#now())) }
          : c,
      );
      try {
        await this.#options.client.updateStatus(podPath(pod), updated);
      } catch (error) {
        if (isNotFound(error)) continue;
        this.#options.log.info("could not mark a pod not Ready", { pod: objectKey(pod), error });
        ok = false;
        continue;
      }
      this.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready");
    }
    return ok;
  }

  async #syncNoScheduleTaints(name: string): Promise<void> {
    const node = this.nodes.store.get(name);
    if (!node) return;
    const { add, remove } = noScheduleTaintChanges(node);
    if (add.length === 0 && remove.length === 0) return;
    if (!(await this.#swapTaints(node, add, remove))) {
      throw new Error(`could not update the taints of node ${name}`);
    }
  }

  /** A pod bound to a node that is not Ready is not Ready either (upstream's processPod). */
  async #syncPod(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    const nodeName = pod && nodeNameOf(pod);
    if (!pod || !nodeName) return;
    const node = this.nodes.store.get(nodeName);
    const status = node && readyCondition(node)?.status;
    if (status === undefined || status === "True") return;
    if (!(await this.#markPodsNotReady([pod], nodeName))) {
      throw new Error(`could not mark pod ${key} not Ready`);
    }
  }

  /**
   * Removes `remove` and adds `add` on the node's taints (upstream's
   * SwapNodeControllerTaint), reading the node again after a conflict; false when the
   * write kept failing (logged), so callers retry on their next pass.
   */
  async #swapTaints(node: KubeObject, add: Taint[], remove: Taint[]): Promise<boolean> {
    const { client, log } = this.#options;
    const name = node.metadata?.name ?? "";
    let current = node;
    for (let attempt = 0; attempt < TAINT_WRITE_ATTEMPTS; attempt++) {
      const taints = swappedTaints(nodeTaints(current), add, remove, new Date(this.#now()));
      if (!taints) return true;
      const updated = structuredClone(current);
      const spec = { ...(updated.spec as object) } as { taints?: Taint[] };
      if (taints.length > 0) spec.taints = taints;
      else delete spec.taints;
      updated.spec = spec;
      try {
        await client.update(nodePath(name), updated);
        log.debug("updated node taints", {
          node: name,
          added: add.map((t) => t.key).join(","),
          removed: remove.map((t) => t.key).join(","),
        });
        return true;
      } catch (error) {
        if (isNotFound(error)) return true;
        if (!isConflict(error)) {
          log.warn("could not update node taints", { node: name, error });
          return false;
        }
      }
      try {
        current = await client.get(nodePath(name));
      } catch (error) {
        if (isNotFound(error)) return true;
        log.warn("could not read node", { node: name, error });
        return false;
      }
    }
    return false;
  }
}

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

function nodeNameOf(pod: KubeObject): string {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? "";
}

function nodePath(name: string): string {
  return resourcePath({ version: "v1", resource: "nodes", name });
}

function podPath(pod: KubeObject): string {
  return resourcePath({
    version: "v1",
    resource: "pods",
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
  });
}

/** Upstream records node status changes against the node's name as its UID. */
function nodeRef(node: KubeObject): KubeObject {
  const name = node.metadata?.name ?? "";
  return { apiVersion: "v1", kind: "Node", metadata: { name, uid: name } };
}

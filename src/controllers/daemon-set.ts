/**
 * DaemonSet controller (upstream's pkg/controller/daemon).
 * Reconciles: one pod of each DaemonSet on every node its template fits (nodeSelector,
 * required node affinity, taints against the template's tolerations plus the daemon
 * tolerations), rolling the pods to a new template (RollingUpdate with maxUnavailable
 * or maxSurge, or OnDelete), and the DaemonSet's status.
 * Owns: daemon pods, created unscheduled with the required node affinity
 * `metadata.name In [node]` so the default scheduler binds them (upstream since 1.12),
 * and ControllerRevisions, one per template, which `kubectl rollout history/undo` use.
 * Watches: DaemonSets, pods, nodes, ControllerRevisions.
 */
import { isConflict, isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import {
  CONTROLLER_REVISION_HASH_LABEL,
  type ControllerRevision,
  canonicalJson,
  computeHash,
  createRevision,
  maxRevision,
  ownedRevisions,
  revisionName,
  revisionsPath,
  sortRevisions,
  templatePatch,
} from "./controller-revisions.ts";
import {
  daemonPodTemplate,
  daemonSetCounts,
  dsSpec,
  isPodTerminal,
  pinToNode,
  planRollingUpdate,
  podsShouldBeOnNode,
  targetNodeName,
} from "./daemon-set-pods.ts";
import { EventRecorder } from "./events.ts";
import {
  BY_CONTROLLER,
  controllerOf,
  controllerRef,
  Expectations,
  podFromTemplate,
} from "./owners.ts";
import type { SharedInformers } from "./shared-informers.ts";
import { adoptAndRelease } from "./workload-adoption.ts";

const KIND = { apiVersion: "apps/v1", kind: "DaemonSet" };
const PODS = resourcePath({ version: "v1", resource: "pods" });

export interface DaemonSetControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  /** Milliseconds since the epoch (availability); tests move it. */
  now?: () => number;
}

export class DaemonSetController {
  readonly daemonSets: Informer;
  readonly pods: Informer;
  readonly nodes: Informer;
  readonly revisions: Informer<ControllerRevision>;
  readonly loop: ControllerLoop;
  readonly events: EventRecorder;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #expectations = new Expectations();

  constructor(options: DaemonSetControllerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.events = new EventRecorder({
      client: options.client,
      component: "daemonset-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key), workers: 2 });
    const { informers } = options;
    this.daemonSets = informers.informer({
      path: resourcePath({ group: "apps", version: "v1", resource: "daemonsets" }),
    });
    this.pods = informers.informer({ path: PODS });
    this.nodes = informers.informer({ path: resourcePath({ version: "v1", resource: "nodes" }) });
    this.revisions = informers.informer<ControllerRevision>({
      path: resourcePath({ group: "apps", version: "v1", resource: "controllerrevisions" }),
    });

    this.daemonSets.addEventHandler({
      onAdd: (ds) => this.loop.enqueue(objectKey(ds)),
      onUpdate: (old, ds) => {
        if (!isResync(old, ds)) this.loop.enqueue(objectKey(ds));
      },
      onDelete: (ds) => this.#expectations.delete(objectKey(ds)),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => {
        const key = this.#ownerKey(pod);
        if (!key) return;
        if (pod.metadata?.deletionTimestamp) this.#expectations.deletionObserved(key);
        else this.#expectations.creationObserved(key);
        this.loop.enqueue(key);
      },
      onUpdate: (old, pod) => {
        if (isResync(old, pod)) return;
        const key = this.#ownerKey(pod);
        if (key && pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
          this.#expectations.deletionObserved(key);
        }
        const oldKey = this.#ownerKey(old);
        if (key) this.loop.enqueue(key);
        if (oldKey && oldKey !== key) this.loop.enqueue(oldKey);
      },
      onDelete: (pod) => {
        const key = this.#ownerKey(pod);
        if (!key) return;
        if (!pod.metadata?.deletionTimestamp) this.#expectations.deletionObserved(key);
        this.loop.enqueue(key);
      },
    });
    this.nodes.addEventHandler({
      onAdd: () => this.#enqueueAll(),
      onUpdate: (old, node) => {
        if (nodeChangeMatters(old, node)) this.#enqueueAll();
      },
      onDelete: () => this.#enqueueAll(),
    });
    const onRevision = (revision: KubeObject) => {
      const key = this.#ownerKey(revision);
      if (key) this.loop.enqueue(key);
    };
    this.revisions.addEventHandler({
      onAdd: onRevision,
      onUpdate: (old, revision) => {
        if (!isResync(old, revision)) onRevision(revision);
      },
      onDelete: onRevision,
    });
  }

  async sync(key: string): Promise<void> {
    const cached = this.daemonSets.store.get(key);
    if (!cached) {
      this.#expectations.delete(key);
      return;
    }
    if (cached.metadata?.deletionTimestamp) return;
    const ds = { ...cached, ...KIND };
    await this.#adopt(ds);
    const nodes = this.nodes.store.list();
    const { current, old, collisionCount } = await this.#constructHistory(ds);
    const hash = current.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? "";
    if (!this.#expectations.satisfied(key)) {
      // Only the counts: the controller has not acted on this generation yet.
      await this.#updateStatus(ds, nodes, hash, collisionCount, false);
      return;
    }
    let failure: unknown;
    try {
      await this.#manage(ds, nodes, hash);
      if (
        this.#expectations.satisfied(key) &&
        dsSpec(ds).updateStrategy?.type === "RollingUpdate"
      ) {
        const plan = planRollingUpdate(ds, nodes, this.#podsByNode(ds), hash, this.#now());
        await this.#syncNodes(ds, plan.deletePods, plan.createOnNodes, hash);
      }
      await this.#cleanupHistory(ds, old);
    } catch (error) {
      failure = error;
    }
    await this.#updateStatus(ds, nodes, hash, collisionCount, true);
    if (failure) throw failure;
  }

  /** Orphaned pods and revisions the selector matches become this DaemonSet's. */
  async #adopt(ds: KubeObject): Promise<void> {
    const namespace = ds.metadata?.namespace ?? "";
    const ownerPath = resourcePath({
      group: "apps",
      version: "v1",
      resource: "daemonsets",
      namespace,
      name: ds.metadata?.name,
    });
    const client = this.#client;
    await adoptAndRelease({
      client,
      owner: ds,
      ownerPath,
      candidates: this.pods.store.byIndex("namespace", namespace),
      pathOf: (pod) =>
        resourcePath({ version: "v1", resource: "pods", namespace, name: pod.metadata?.name }),
    });
    await adoptAndRelease({
      client,
      owner: ds,
      ownerPath,
      candidates: this.revisions.store.byIndex("namespace", namespace),
      pathOf: (revision) => revisionsPath(namespace, revision.metadata?.name),
    });
  }

  /** The key of the DaemonSet controlling `object`, if it is in the cache (same UID). */
  #ownerKey(object: KubeObject): string | undefined {
    const ref = controllerOf(object);
    if (!ref || ref.kind !== "DaemonSet") return undefined;
    const key = `${object.metadata?.namespace ?? ""}/${ref.name}`;
    return this.daemonSets.store.get(key)?.metadata?.uid === ref.uid ? key : undefined;
  }

  #enqueueAll(): void {
    for (const key of this.daemonSets.store.keys()) this.loop.enqueue(key);
  }

  /** The DaemonSet's pods by the node they are for; terminal pods being deleted are gone. */
  #podsByNode(ds: KubeObject): Map<string, KubeObject[]> {
    const byNode = new Map<string, KubeObject[]>();
    for (const pod of this.pods.store.byIndex(BY_CONTROLLER, ds.metadata?.uid ?? "")) {
      if (pod.metadata?.namespace !== ds.metadata?.namespace) continue;
      if (isPodTerminal(pod) && pod.metadata?.deletionTimestamp) continue;
      const node = targetNodeName(pod);
      if (node === undefined) continue;
      const list = byNode.get(node);
      if (list) list.push(pod);
      else byNode.set(node, [pod]);
    }
    return byNode;
  }

  async #manage(ds: KubeObject, nodes: KubeObject[], hash: string): Promise<void> {
    const podsByNode = this.#podsByNode(ds);
    const create: string[] = [];
    const remove: string[] = [];
    const known = new Set<string>();
    for (const node of nodes) {
      const name = node.metadata?.name ?? "";
      known.add(name);
      const plan = podsShouldBeOnNode(ds, node, podsByNode.get(name) ?? [], hash);
      if (plan.create) create.push(name);
      remove.push(...plan.delete);
      for (const pod of plan.failed) {
        this.events.event(
          ds,
          "Warning",
          "FailedDaemonPod",
          `Found failed daemon pod ${pod.metadata?.namespace}/${pod.metadata?.name} on node ${name}, will try to kill it`,
        );
      }
    }
    // A pod for a node that is gone is never bound, so nothing else would remove it.
    for (const [node, pods] of podsByNode) {
      if (known.has(node)) continue;
      for (const pod of pods) {
        const bound = Boolean((pod.spec as { nodeName?: string } | undefined)?.nodeName);
        if (!bound && !pod.metadata?.deletionTimestamp) remove.push(pod.metadata?.name ?? "");
      }
    }
    await this.#syncNodes(ds, remove, create, hash);
  }

  /**
   * Deletes and creates pods, creations in slow-start batches (1, 2, 4, …) that stop at
   * the first failure, so a quota or admission refusal costs one request, not hundreds.
   */
  async #syncNodes(ds: KubeObject, remove: string[], create: string[], hash: string) {
    if (remove.length === 0 && create.length === 0) return;
    const key = objectKey(ds);
    this.#expectations.expect(key, create.length, remove.length);
    const errors: unknown[] = [];
    const template = daemonPodTemplate(ds, hash);
    let next = 0;
    let batch = Math.min(create.length, 1);
    while (next < create.length) {
      const nodes = create.slice(next, next + batch);
      next += nodes.length;
      const results = await Promise.allSettled(nodes.map((n) => this.#createPod(ds, template, n)));
      const failed = results.filter((r) => r.status === "rejected");
      for (const result of failed) {
        this.#expectations.creationFailed(key);
        errors.push((result as PromiseRejectedResult).reason);
      }
      if (failed.length > 0) {
        for (; next < create.length; next++) this.#expectations.creationFailed(key);
        break;
      }
      batch = Math.min(batch * 2, create.length - next);
    }
    const deletions = await Promise.allSettled(remove.map((name) => this.#deletePod(ds, name)));
    for (const result of deletions) {
      if (result.status === "rejected") errors.push(result.reason);
    }
    if (errors.length > 0) throw errors[0];
  }

  async #createPod(
    ds: KubeObject,
    template: ReturnType<typeof daemonPodTemplate>,
    nodeName: string,
  ): Promise<void> {
    const pod = podFromTemplate(template as never, ds, { generateName: `${ds.metadata?.name}-` });
    pinToNodeOf(pod, nodeName);
    try {
      const created = await this.#client.create(
        resourcePath({ version: "v1", resource: "pods", namespace: ds.metadata?.namespace }),
        pod,
      );
      this.events.event(ds, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata?.name}`);
    } catch (error) {
      this.events.event(
        ds,
        "Warning",
        "FailedCreate",
        `Error creating: ${(error as Error).message}`,
      );
      throw error;
    }
  }

  async #deletePod(ds: KubeObject, name: string): Promise<void> {
    const key = objectKey(ds);
    const namespace = ds.metadata?.namespace;
    try {
      await this.#client.delete(resourcePath({ version: "v1", resource: "pods", namespace, name }));
      this.events.event(ds, "Normal", "SuccessfulDelete", `Deleted pod: ${name}`);
    } catch (error) {
      this.#expectations.deletionFailed(key);
      if (isNotFound(error)) return;
      this.events.event(
        ds,
        "Warning",
        "FailedDelete",
        `Error deleting: ${(error as Error).message}`,
      );
      throw error;
    }
  }

  /**
   * The revision of the current template (created, or renumbered to the newest when the
   * template went back to an older one) and the others (upstream's constructHistory).
   */
  async #constructHistory(ds: KubeObject) {
    const patch = canonicalJson(templatePatch(ds));
    const matching: ControllerRevision[] = [];
    const old: ControllerRevision[] = [];
    for (const revision of ownedRevisions(this.revisions, ds)) {
      (canonicalJson(revision.data) === patch ? matching : old).push(revision);
    }
    const next = maxRevision(old) + 1;
    let collisionCount =
      (ds.status as { collisionCount?: number } | undefined)?.collisionCount ?? 0;
    if (matching.length === 0) {
      const created = await createRevision(this.#client, collisionCount, (count) =>
        daemonSetRevision(ds, next, count),
      );
      collisionCount = created.collisionCount;
      return { current: created.revision, old, collisionCount };
    }
    // Two revisions of one template (a race with another writer): keep the newest.
    sortRevisions(matching);
    let current = matching.pop() as ControllerRevision;
    for (const duplicate of matching) {
      await this.#client
        .delete(revisionsPath(ds.metadata?.namespace ?? "", duplicate.metadata?.name))
        .catch((error) => {
          if (!isNotFound(error)) throw error;
        });
    }
    if ((current.revision ?? 0) < next) {
      current = (await this.#client.update(
        revisionsPath(ds.metadata?.namespace ?? "", current.metadata?.name),
        { ...current, revision: next },
      )) as ControllerRevision;
    }
    return { current, old, collisionCount };
  }

  /** Keeps revisionHistoryLimit old revisions, oldest deleted first, never one a pod uses. */
  async #cleanupHistory(ds: KubeObject, old: ControllerRevision[]): Promise<void> {
    let excess = old.length - (dsSpec(ds).revisionHistoryLimit ?? 10);
    if (excess <= 0) return;
    const live = new Set<string>();
    for (const pods of this.#podsByNode(ds).values()) {
      for (const pod of pods) {
        const hash = pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
        if (hash) live.add(hash);
      }
    }
    for (const revision of sortRevisions([...old])) {
      if (excess <= 0) break;
      if (live.has(revision.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? "")) continue;
      await this.#client
        .delete(revisionsPath(ds.metadata?.namespace ?? "", revision.metadata?.name))
        .catch((error) => {
          if (!isNotFound(error)) throw error;
        });
      excess--;
    }
  }

  async #updateStatus(
    ds: KubeObject,
    nodes: KubeObject[],
    hash: string,
    collisionCount: number,
    observed: boolean,
  ): Promise<void> {
    const now = this.#now();
    const counts = daemonSetCounts(ds, nodes, this.#podsByNode(ds), hash, now);
    const previous = (ds.status ?? {}) as Record<string, unknown>;
    const status: Record<string, unknown> = {
      ...previous,
      ...counts,
      observedGeneration: observed ? ds.metadata?.generation : previous.observedGeneration,
    };
    if (collisionCount > 0) status.collisionCount = collisionCount;
    if (canonicalJson(status) !== canonicalJson(previous)) {
      const path = resourcePath({
        group: "apps",
        version: "v1",
        resource: "daemonsets",
        namespace: ds.metadata?.namespace,
        name: ds.metadata?.name,
      });
      try {
        await this.#client.updateStatus(path, { ...ds, status });
      } catch (error) {
        // The DaemonSet changed meanwhile: its update event brings it back.
        if (!isConflict(error)) throw error;
        this.#log.debug("daemon set changed while its status was written", { key: objectKey(ds) });
      }
    }
    const minReady = dsSpec(ds).minReadySeconds ?? 0;
    if (minReady > 0 && counts.numberReady !== counts.numberAvailable) {
      this.loop.queue.addAfter(objectKey(ds), minReady * 1000);
    }
  }
}

function pinToNodeOf(pod: KubeObject, nodeName: string): void {
  const spec = (pod.spec ?? {}) as Parameters<typeof pinToNode>[0];
  pinToNode(spec, nodeName);
  pod.spec = spec;
}

/**
 * The revision of a DaemonSet's template: named and labelled after the template's hash,
 * which daemon pods carry as `controller-revision-hash`.
 */
export function daemonSetRevision(
  ds: KubeObject,
  revision: number,
  collisionCount: number,
): ControllerRevision {
  const template = dsSpec(ds).template;
  const hash = computeHash(template, collisionCount);
  const annotations = ds.metadata?.annotations;
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name: revisionName(ds.metadata?.name ?? "", hash),
      namespace: ds.metadata?.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(annotations ? { annotations: { ...annotations } } : {}),
      ownerReferences: [controllerRef({ ...ds, ...KIND })],
    },
    data: templatePatch(ds),
    revision,
  };
}

/** Label, taint, schedulability or readiness changes can change where daemons run. */
function nodeChangeMatters(old: KubeObject, node: KubeObject): boolean {
  if (isResync(old, node)) return false;
  const conditions = (n: KubeObject) =>
    (
      (n.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ??
      []
    )
      .map((c) => `${c.type}=${c.status}`)
      .sort()
      .join(",");
  return (
    canonicalJson(old.metadata?.labels ?? {}) !== canonicalJson(node.metadata?.labels ?? {}) ||
    canonicalJson(old.spec ?? {}) !== canonicalJson(node.spec ?? {}) ||
    conditions(old) !== conditions(node)
  );
}

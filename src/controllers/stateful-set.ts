/**
 * StatefulSet controller (upstream's pkg/controller/statefulset).
 * Reconciles: pods `<set>-<ordinal>` for ordinals [start, start+replicas), each with its
 * claims from volumeClaimTemplates (created before the pod, kept on scale-down unless
 * the retention policy says Delete). OrderedReady creates ordinal i only once every
 * lower one is Running and Ready and removes from the highest ordinal, one at a time;
 * Parallel does both at once. RollingUpdate replaces pods at or above the partition
 * from the highest ordinal down; OnDelete waits for the user to delete them.
 * Owns: those pods and claims, and ControllerRevisions (status currentRevision and
 * updateRevision name them; pods carry theirs as `controller-revision-hash`).
 * Watches: StatefulSets, pods, ControllerRevisions; reads claims from their cache.
 */
import { isConflict, isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import {
  type ControllerRevision,
  canonicalJson,
  createRevision,
  maxRevision,
  newRevision,
  ownedRevisions,
  revisionsPath,
  sameData,
  sortRevisions,
  templatePatch,
} from "./controller-revisions.ts";
import { EventRecorder } from "./events.ts";
import { BY_CONTROLLER, controllerOf } from "./owners.ts";
import type { SharedInformers } from "./shared-informers.ts";
import { StatefulPodControl } from "./stateful-pod-control.ts";
import {
  applyRevision,
  identityMatches,
  isCreated,
  isFinished,
  isHealthy,
  isMemberOf,
  isRunningAndAvailable,
  isRunningAndReady,
  isTerminating,
  newVersionedPod,
  ordinalOf,
  podPhase,
  podRevision,
  type ReplicaCounts,
  replicaCounts,
  STATEFUL_SET_KIND,
  startOrdinal,
  stsSpec,
} from "./stateful-set-pods.ts";
import { adoptAndRelease } from "./workload-adoption.ts";

export interface StatefulSetControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  now?: () => number;
}

interface Revisions {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
}

/** What one pass over the replicas and condemned pods decided. */
interface Pass {
  set: KubeObject;
  currentSet: KubeObject;
  updateSet: KubeObject;
  revisions: Revisions;
  monotonic: boolean;
  replicas: KubeObject[];
  condemned: KubeObject[];
  firstUnhealthy: KubeObject | undefined;
}

export class StatefulSetController {
  readonly sets: Informer;
  readonly pods: Informer;
  readonly claims: Informer;
  readonly revisions: Informer<ControllerRevision>;
  readonly loop: ControllerLoop;
  readonly events: EventRecorder;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #pods: StatefulPodControl;

  constructor(options: StatefulSetControllerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.events = new EventRecorder({
      client: options.client,
      component: "statefulset-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key), workers: 2 });
    const { informers } = options;
    this.sets = informers.informer({
      path: resourcePath({ group: "apps", version: "v1", resource: "statefulsets" }),
    });
    this.pods = informers.informer({ path: resourcePath({ version: "v1", resource: "pods" }) });
    this.claims = informers.informer({
      path: resourcePath({ version: "v1", resource: "persistentvolumeclaims" }),
    });
    this.#pods = new StatefulPodControl(options.client, this.events, this.claims);
    this.revisions = informers.informer<ControllerRevision>({
      path: resourcePath({ group: "apps", version: "v1", resource: "controllerrevisions" }),
    });
    this.sets.addEventHandler({
      onAdd: (set) => this.loop.enqueue(objectKey(set)),
      onUpdate: (old, set) => {
        if (!isResync(old, set)) this.loop.enqueue(objectKey(set));
      },
    });
    const enqueueOwner = (object: KubeObject) => {
      const key = this.#ownerKey(object);
      if (key) this.loop.enqueue(key);
    };
    for (const informer of [this.pods, this.revisions] as Informer[]) {
      informer.addEventHandler({
        onAdd: enqueueOwner,
        onUpdate: (old, object) => {
          if (isResync(old, object)) return;
          enqueueOwner(object);
          if (this.#ownerKey(old) !== this.#ownerKey(object)) enqueueOwner(old);
        },
        onDelete: enqueueOwner,
      });
    }
  }

  async sync(key: string): Promise<void> {
    const cached = this.sets.store.get(key);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const set = { ...cached, ...STATEFUL_SET_KIND };
    await this.#adopt(set);
    const pods = this.#ownedPods(set);
    const revisions = sortRevisions(ownedRevisions(this.revisions, set));
    const resolved = await this.#resolveRevisions(set, revisions);
    let failure: unknown;
    try {
      await this.#updatePods(set, resolved, pods);
    } catch (error) {
      failure = error;
    }
    // Counted from the cache afresh: what this pass wrote shows up in the next one.
    const now = this.#now();
    const fresh = this.#ownedPods(set);
    const counts = replicaCounts(
      fresh,
      stsSpec(set).minReadySeconds ?? 0,
      resolved.current.metadata?.name ?? "",
      resolved.update.metadata?.name ?? "",
      now,
    );
    await this.#updateStatus(set, resolved, counts);
    await this.#truncateHistory(set, fresh, revisions, resolved);
    const minReady = stsSpec(set).minReadySeconds ?? 0;
    if (minReady > 0 && counts.availableReplicas !== (stsSpec(set).replicas ?? 1)) {
      this.loop.queue.addAfter(key, minReady * 1000);
    }
    if (failure) throw failure;
  }

  #ownedPods(set: KubeObject): KubeObject[] {
    return this.pods.store
      .byIndex(BY_CONTROLLER, set.metadata?.uid ?? "")
      .filter((pod) => pod.metadata?.namespace === set.metadata?.namespace && isMemberOf(set, pod));
  }

  /** Orphaned member pods and revisions the selector matches become this set's. */
  async #adopt(set: KubeObject): Promise<void> {
    const namespace = set.metadata?.namespace ?? "";
    const ownerPath = resourcePath({
      group: "apps",
      version: "v1",
      resource: "statefulsets",
      namespace,
      name: set.metadata?.name,
    });
    const client = this.#client;
    await adoptAndRelease({
      client,
      owner: set,
      ownerPath,
      candidates: this.pods.store.byIndex("namespace", namespace).filter((p) => isMemberOf(set, p)),
      pathOf: (pod) =>
        resourcePath({ version: "v1", resource: "pods", namespace, name: pod.metadata?.name }),
    });
    await adoptAndRelease({
      client,
      owner: set,
      ownerPath,
      candidates: this.revisions.store.byIndex("namespace", namespace),
      pathOf: (revision) => revisionsPath(namespace, revision.metadata?.name),
    });
  }

  #ownerKey(object: KubeObject): string | undefined {
    const ref = controllerOf(object);
    if (!ref || ref.kind !== "StatefulSet") return undefined;
    const key = `${object.metadata?.namespace ?? ""}/${ref.name}`;
    return this.sets.store.get(key)?.metadata?.uid === ref.uid ? key : undefined;
  }

  /**
   * The current revision (status.currentRevision, or the update revision for a new set)
   * and the update revision: the set's template as it is now, an older revision
   * renumbered when the template went back to it, or a new one.
   */
  async #resolveRevisions(set: KubeObject, revisions: ControllerRevision[]): Promise<Revisions> {
    const status = (set.status ?? {}) as { collisionCount?: number; currentRevision?: string };
    let collisionCount = status.collisionCount ?? 0;
    const next = maxRevision(revisions) + 1;
    const wanted = newRevision(set, templatePatch(set), next, collisionCount);
    const equal = revisions.filter((r) => sameData(r, wanted));
    const latest = revisions[revisions.length - 1];
    let update: ControllerRevision;
    const lastEqual = equal[equal.length - 1];
    if (lastEqual && latest && lastEqual.metadata?.name === latest.metadata?.name) {
      update = latest;
    } else if (lastEqual) {
      update = (await this.#client.update(
        revisionsPath(set.metadata?.namespace ?? "", lastEqual.metadata?.name),
        { ...lastEqual, revision: next },
      )) as ControllerRevision;
    } else {
      const created = await createRevision(this.#client, collisionCount, (count) =>
        newRevision(set, templatePatch(set), next, count),
      );
      update = created.revision;
      collisionCount = created.collisionCount;
    }
    const current = revisions.find((r) => r.metadata?.name === status.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** Upstream's updateStatefulSet: creates, fixes, deletes and rolls pods. */
  async #updatePods(set: KubeObject, revisions: Revisions, pods: KubeObject[]): Promise<void> {
    const spec = stsSpec(set);
    const start = startOrdinal(set);
    const count = spec.replicas ?? 1;
    const currentName = revisions.current.metadata?.name ?? "";
    const updateName = revisions.update.metadata?.name ?? "";
    const currentSet = applyRevision(set, revisions.current);
    const updateSet = applyRevision(set, revisions.update);
    const replicas: (KubeObject | undefined)[] = new Array(count).fill(undefined);
    const condemned: KubeObject[] = [];
    for (const pod of pods) {
      const ordinal = ordinalOf(pod);
      if (ordinal >= start && ordinal < start + count) replicas[ordinal - start] = pod;
      else if (ordinal >= 0) condemned.push(pod);
    }
    for (let i = 0; i < count; i++) {
      replicas[i] ??= newVersionedPod(currentSet, updateSet, currentName, updateName, start + i);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const pass: Pass = {
      set,
      currentSet,
      updateSet,
      revisions,
      monotonic: spec.podManagementPolicy !== "Parallel",
      replicas: replicas as KubeObject[],
      condemned,
      firstUnhealthy: undefined,
    };
    pass.firstUnhealthy =
      pass.replicas.find((pod) => !isHealthy(pod)) ??
      [...condemned].reverse().find((pod) => !isHealthy(pod));

    if (await runForAll(pass, pass.replicas, (i) => this.#processReplica(pass, i))) return;
    if (await runForAll(pass, condemned, (i) => this.#processCondemned(pass, i))) return;
    if (spec.updateStrategy?.type === "OnDelete") return;

    // Roll: the highest ordinal not at the update revision goes first, one at a time.
    const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    for (let target = pass.replicas.length - 1; target >= partition; target--) {
      const pod = pass.replicas[target] as KubeObject;
      if (podRevision(pod) !== updateName && !isTerminating(pod)) {
        await this.#pods.deletePod(set, pod);
        return;
      }
      if (!isHealthy(pod)) return;
    }
  }

  /** True to stop the pass (in OrderedReady: something to wait for). */
  async #processReplica(pass: Pass, i: number): Promise<boolean> {
    const { set, monotonic } = pass;
    const pod = pass.replicas[i] as KubeObject;
    if (isFinished(pod)) {
      // A pod that ran to completion is replaced once it is gone.
      if (!isTerminating(pod)) await this.#pods.deletePod(set, pod);
      return true;
    }
    if (!isCreated(pod)) {
      await this.#pods.createPod(pass.updateSet, set, pod);
      return monotonic;
    }
    if (podPhase(pod) === "Pending") await this.#pods.createClaims(pass.updateSet, set, pod);
    if (monotonic) {
      if (isTerminating(pod)) return true;
      if (!isRunningAndReady(pod)) return true;
      const minReady = stsSpec(set).minReadySeconds ?? 0;
      if (!isRunningAndAvailable(pod, minReady, this.#now())) return true;
    }
    if (!identityMatches(set, pod) && !isTerminating(pod)) await this.#pods.fixIdentity(set, pod);
    return false;
  }

  async #processCondemned(pass: Pass, i: number): Promise<boolean> {
    const { set, monotonic } = pass;
    const pod = pass.condemned[i] as KubeObject;
    if (isTerminating(pod)) return monotonic;
    const minReady = stsSpec(set).minReadySeconds ?? 0;
    // Scaling down waits for the pods below to be healthy, except for the first broken one.
    if (monotonic && pod !== pass.firstUnhealthy) {
      if (!isRunningAndReady(pod)) return true;
      if (!isRunningAndAvailable(pod, minReady, this.#now())) return true;
    }
    if (stsSpec(set).persistentVolumeClaimRetentionPolicy?.whenScaled === "Delete") {
      await this.#pods.giveClaimsTo(set, pod);
    }
    await this.#pods.deletePod(set, pod);
    return monotonic;
  }

  async #updateStatus(set: KubeObject, revisions: Revisions, counts: ReplicaCounts) {
    const previous = (set.status ?? {}) as Record<string, unknown>;
    const status: Record<string, unknown> = {
      ...previous,
      ...counts,
      observedGeneration: set.metadata?.generation,
      currentRevision: revisions.current.metadata?.name,
      updateRevision: revisions.update.metadata?.name,
      collisionCount: revisions.collisionCount,
    };
    // A finished rolling update makes the update revision current.
    if (
      stsSpec(set).updateStrategy?.type === "RollingUpdate" &&
      counts.updatedReplicas === counts.replicas &&
      counts.readyReplicas === counts.replicas
    ) {
      status.currentReplicas = counts.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    if (canonicalJson(status) === canonicalJson(previous)) return;
    const path = resourcePath({
      group: "apps",
      version: "v1",
      resource: "statefulsets",
      namespace: set.metadata?.namespace,
      name: set.metadata?.name,
    });
    try {
      await this.#client.updateStatus(path, { ...set, status });
    } catch (error) {
      if (!isConflict(error)) throw error;
      this.#log.debug("stateful set changed while its status was written", {
        key: objectKey(set),
      });
    }
  }

  /** Keeps revisionHistoryLimit revisions besides the live ones (current, update, pods'). */
  async #truncateHistory(
    set: KubeObject,
    pods: KubeObject[],
    revisions: ControllerRevision[],
    resolved: Revisions,
  ): Promise<void> {
    const live = new Set([
      resolved.current.metadata?.name,
      resolved.update.metadata?.name,
      ...pods.map(podRevision),
    ]);
    const history = revisions.filter((r) => !live.has(r.metadata?.name));
    const excess = history.length - (stsSpec(set).revisionHistoryLimit ?? 10);
    for (const revision of history.slice(0, Math.max(excess, 0))) {
      await this.#client
        .delete(revisionsPath(set.metadata?.namespace ?? "", revision.metadata?.name))
        .catch((error) => {
          if (!isNotFound(error)) throw error;
        });
    }
  }
}

/**
 * OrderedReady: one by one, stopping where `step` says to wait. Parallel: all of them,
 * in slow-start batches that stop at the first failure. True when the pass must stop.
 */
async function runForAll(
  pass: Pass,
  items: readonly KubeObject[],
  step: (i: number) => Promise<boolean>,
): Promise<boolean> {
  if (pass.monotonic) {
    for (let i = 0; i < items.length; i++) if (await step(i)) return true;
    return false;
  }
  let next = 0;
  let batch = Math.min(items.length, 1);
  while (next < items.length) {
    const indices = Array.from({ length: batch }, (_, k) => next + k);
    next += batch;
    const results = await Promise.allSettled(indices.map((i) => step(i)));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    batch = Math.min(batch * 2, items.length - next);
  }
  return false;
}

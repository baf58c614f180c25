/**
 * ReplicaSet controller, also serving ReplicationControllers (upstream runs the same
 * code for both through a conversion; here it is parameterised by `ReplicaKind`).
 * Reconciles: each ReplicaSet has spec.replicas active pods matching its selector.
 * Owns: its pods (created from the template in slow-start batches, surplus deleted in
 * upstream's ranking, matching orphans adopted, pods that stop matching released) and
 * its status counters.
 * Watches: its kind, and pods (an owned pod's change queues its owner; an orphan's
 * queues every ReplicaSet that selects it).
 */
import { ApiError, isConflict, isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject, OwnerReference } from "../resources/kind.ts";
import { LabelSelector } from "../resources/labels/label-selector.ts";
import { isPodActive, isPodReady, type Pod, podsToDelete } from "./active-pods.ts";
import { type ControllerClient, ControllerLoop, IgnorableError } from "./controller.ts";
import { claimObjects, recheckByGet } from "./controller-ref-manager.ts";
import { EventRecorder } from "./events.ts";
import { BY_CONTROLLER, controllerOf, Expectations, podFromTemplate } from "./owners.ts";
import {
  isStatusCurrent,
  messageOf,
  type ReplicaSet,
  type ReplicaSetStatus,
  replicaSetStatus,
} from "./replica-set-status.ts";
import type { SharedInformers } from "./shared-informers.ts";

/** What differs between the kinds this controller serves. */
export interface ReplicaKind {
  kind: string;
  apiVersion: string;
  group?: string;
  version: string;
  resource: string;
  /** The event source, as upstream names the controller. */
  component: string;
  selector(owner: ReplicaSet): LabelSelector;
}

export const REPLICA_SETS: ReplicaKind = {
  kind: "ReplicaSet",
  apiVersion: "apps/v1",
  group: "apps",
  version: "v1",
  resource: "replicasets",
  component: "replicaset-controller",
  selector: (rs) => LabelSelector.fromObject(rs.spec?.selector),
};

export const REPLICATION_CONTROLLERS: ReplicaKind = {
  kind: "ReplicationController",
  apiVersion: "v1",
  version: "v1",
  resource: "replicationcontrollers",
  component: "replication-controller",
  selector: (rc) => {
    const labels = rc.spec?.selector as Record<string, string> | undefined;
    // The API defaults an empty selector to the template's labels; none left selects nothing.
    return labels && Object.keys(labels).length > 0
      ? LabelSelector.fromSet(labels)
      : LabelSelector.nothing();
  },
};

/**
 * Most pods one sync creates or deletes (upstream's burstReplicas): a huge scale-up
 * proceeds in rounds instead of holding the worker for thousands of requests.
 */
export const BURST_REPLICAS = 500;

/** Creations start one at a time and double per batch, so a failing template costs one request. */
const SLOW_START_INITIAL_BATCH = 1;

const PODS = resourcePath({ version: "v1", resource: "pods" });

export interface ReplicaSetControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  kind?: ReplicaKind;
  burstReplicas?: number;
  now?: () => Date;
}

export class ReplicaSetController {
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  readonly loop: ControllerLoop;
  readonly expectations = new Expectations();
  readonly kind: ReplicaKind;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly events: EventRecorder;
  readonly #burst: number;
  readonly #now: () => Date;
  /** Pods each key is waiting to see deleted: a pod seen terminating and then gone counts once. */
  readonly #deleting = new Map<string, Set<string>>();

  constructor(options: ReplicaSetControllerOptions) {
    this.kind = options.kind ?? REPLICA_SETS;
    this.#client = options.client;
    this.#log = options.log;
    this.#burst = options.burstReplicas ?? BURST_REPLICAS;
    this.#now = options.now ?? (() => new Date());
    this.events = new EventRecorder({
      client: options.client,
      component: this.kind.component,
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key), workers: 2 });
    const { group, version, resource } = this.kind;
    this.replicaSets = options.informers.informer({
      path: resourcePath({ group, version, resource }),
    });
    this.pods = options.informers.informer({ path: PODS });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.loop.enqueue(objectKey(rs)),
      onUpdate: (old, rs) => {
        if (old.metadata?.resourceVersion !== rs.metadata?.resourceVersion) {
          this.loop.enqueue(objectKey(rs));
        }
      },
      onDelete: (rs) => {
        this.expectations.delete(objectKey(rs));
        this.#deleting.delete(objectKey(rs));
        this.loop.enqueue(objectKey(rs));
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.#podAdded(pod),
      onUpdate: (old, pod) => this.#podUpdated(old, pod),
      onDelete: (pod) => this.#podDeleted(pod),
    });
  }

  async sync(key: string): Promise<void> {
    const cached = this.replicaSets.store.get(key);
    if (!cached) {
      this.expectations.delete(key);
      this.#deleting.delete(key);
      return;
    }
    const rs: ReplicaSet = {
      ...structuredClone(cached),
      apiVersion: this.kind.apiVersion,
      kind: this.kind.kind,
    };
    const needsSync = this.expectations.satisfied(key);
    let selector: LabelSelector;
    try {
      selector = this.kind.selector(rs);
    } catch (error) {
      this.#log.warn("invalid selector", { key, error });
      return;
    }
    const namespace = rs.metadata?.namespace ?? "";
    const candidates = this.pods.store.byIndex("namespace", namespace).filter(isPodActive);
    const pods = await claimObjects(candidates, {
      owner: rs,
      selector,
      recheckOwner: recheckByGet(this.#client, this.#ownPath(rs), rs),
      patch: async (pod, patch) => {
        await this.#client.patch(this.#podPath(pod), patch, "strategic");
      },
    }).catch(quietOnRace);
    let manageError: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      manageError = await this.#manageReplicas(key, rs, pods).then(
        () => undefined,
        (error: unknown) => error ?? new Error("managing replicas failed"),
      );
    }
    const status = replicaSetStatus(rs, pods, manageError, this.#now());
    const updated = await this.#updateStatus(rs, status).catch(quietOnRace);
    const minReadySeconds = updated.spec?.minReadySeconds ?? 0;
    const wanted = updated.spec?.replicas ?? 0;
    // Pods become available with time, not with an event: look again then.
    if (
      manageError === undefined &&
      minReadySeconds > 0 &&
      updated.status?.readyReplicas === wanted &&
      (updated.status?.availableReplicas ?? 0) !== wanted
    ) {
      this.loop.queue.addAfter(key, minReadySeconds * 1000);
    }
    if (manageError !== undefined) quietOnRace(manageError);
  }

  async #manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const diff = pods.length - (rs.spec?.replicas ?? 0);
    if (diff < 0) {
      const count = Math.min(-diff, this.#burst);
      this.expectations.expect(key, count, 0);
      const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH, () =>
        this.#createPod(rs),
      );
      // Creations never attempted will never be observed.
      for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
    } else if (diff > 0) {
      const count = Math.min(diff, this.#burst);
      const victims = podsToDelete(pods, this.#relatedPods(rs), count, this.#now());
      this.expectations.expect(key, 0, victims.length);
      this.#deleting.set(key, new Set(victims.map(objectKey)));
      const results = await Promise.allSettled(victims.map((pod) => this.#deletePod(rs, pod)));
      let failure: unknown;
      results.forEach((result, i) => {
        if (result.status === "fulfilled") return;
        // A failed delete will never be observed.
        this.#deletionObserved(key, objectKey(victims[i] as Pod));
        if (!isNotFound(result.reason)) failure ??= result.reason;
      });
      if (failure !== undefined) throw failure;
    }
  }

  async #createPod(rs: ReplicaSet): Promise<void> {
    const pod = podFromTemplate(rs.spec?.template, rs, {
      generateName: `${rs.metadata?.name}-`,
    });
    const namespace = rs.metadata?.namespace ?? "";
    try {
      const created = await this.#client.create(
        resourcePath({ version: "v1", resource: "pods", namespace }),
        pod,
      );
      this.events.event(rs, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata?.name}`);
    } catch (error) {
      // Every create fails in a terminating namespace: nothing to report or retry.
      if (isNamespaceTerminating(error)) return;
      this.events.event(rs, "Warning", "FailedCreate", `Error creating: ${messageOf(error)}`);
      throw error;
    }
  }

  async #deletePod(rs: ReplicaSet, pod: Pod): Promise<void> {
    try {
      await this.#client.delete(this.#podPath(pod));
      this.events.event(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata?.name}`);
    } catch (error) {
      if (!isNotFound(error)) {
        this.events.event(rs, "Warning", "FailedDelete", `Error deleting: ${messageOf(error)}`);
      }
      throw error;
    }
  }

  /** Pods of every ReplicaSet under the same controller (siblings under a Deployment). */
  #relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerOf(rs);
    const siblings = owner ? this.replicaSets.store.byIndex(BY_CONTROLLER, owner.uid) : [rs];
    return siblings.flatMap((s) => this.pods.store.byIndex(BY_CONTROLLER, s.metadata?.uid ?? ""));
  }

  async #updateStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    if (isStatusCurrent(rs, status)) return rs;
    const generation = rs.metadata?.generation;
    const next = {
      ...status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    try {
      return await this.#client.updateStatus(this.#ownPath(rs), { ...rs, status: next });
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Upstream retries once on the latest version: status is ours alone to write.
      const latest = await this.#client.get<ReplicaSet>(this.#ownPath(rs));
      return await this.#client.updateStatus(this.#ownPath(rs), { ...latest, status: next });
    }
  }

  #ownPath(rs: KubeObject): string {
    const { group, version, resource } = this.kind;
    const { namespace, name } = rs.metadata ?? {};
    return resourcePath({ group, version, resource, namespace, name });
  }

  #podPath(pod: KubeObject): string {
    const { namespace, name } = pod.metadata ?? {};
    return resourcePath({ version: "v1", resource: "pods", namespace, name });
  }

  /** The cached owner a controller reference names, if it is of our kind and still the same. */
  #resolve(namespace: string | undefined, ref: OwnerReference): ReplicaSet | undefined {
    if (ref.kind !== this.kind.kind) return undefined;
    const rs = this.replicaSets.store.get(namespace ? `${namespace}/${ref.name}` : ref.name);
    return rs?.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** Every cached owner whose selector matches an orphan's labels. */
  #selecting(pod: Pod): ReplicaSet[] {
    const labels = pod.metadata?.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    return this.replicaSets.store
      .byIndex("namespace", pod.metadata?.namespace ?? "")
      .filter((rs) => {
        try {
          const selector = this.kind.selector(rs);
          return !selector.isEmpty() && selector.matches(labels);
        } catch {
          return false;
        }
      });
  }

  #podAdded(pod: Pod): void {
    // A pod already terminating when first seen (say, after a relist) counts as a deletion.
    if (pod.metadata?.deletionTimestamp) {
      this.#podDeleted(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.#resolve(pod.metadata?.namespace, ref);
      if (!rs) return;
      this.expectations.creationObserved(objectKey(rs));
      this.loop.enqueue(objectKey(rs));
      return;
    }
    for (const rs of this.#selecting(pod)) this.loop.enqueue(objectKey(rs));
  }

  #podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const labelsChanged = !sameLabels(old.metadata?.labels, pod.metadata?.labels);
    if (pod.metadata?.deletionTimestamp) {
      this.#podDeleted(pod);
      if (labelsChanged) this.#podDeleted(old);
      return;
    }
    const ref = controllerOf(pod);
    const oldRef = controllerOf(old);
    const refChanged = ref?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const previous = this.#resolve(old.metadata?.namespace, oldRef);
      if (previous) this.loop.enqueue(objectKey(previous));
    }
    if (ref) {
      const rs = this.#resolve(pod.metadata?.namespace, ref);
      if (!rs) return;
      this.loop.enqueue(objectKey(rs));
      const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(pod) && minReadySeconds > 0) {
        this.loop.queue.addAfter(objectKey(rs), minReadySeconds * 1000 + 1000);
      }
      return;
    }
    if (labelsChanged || refChanged) {
      for (const rs of this.#selecting(pod)) this.loop.enqueue(objectKey(rs));
    }
  }

  #podDeleted(pod: Pod): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.#resolve(pod.metadata?.namespace, ref);
    if (!rs) return;
    const key = objectKey(rs);
    this.#deletionObserved(key, objectKey(pod));
    this.loop.enqueue(key);
  }

  #deletionObserved(key: string, podKey: string): void {
    const pending = this.#deleting.get(key);
    if (!pending?.delete(podKey)) return;
    this.expectations.deletionObserved(key);
  }
}

/**
 * Runs `count` calls of `fn` in batches of 1, 2, 4, … and stops after the first batch
 * with a failure (upstream's slowStartBatch): a template the API rejects costs one
 * request, not hundreds.
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (
    let batch = Math.min(remaining, initialBatchSize);
    batch > 0;
    batch = Math.min(2 * batch, remaining)
  ) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failure = results.find((result) => result.status === "rejected");
    successes += results.filter((result) => result.status === "fulfilled").length;
    if (failure) return { successes, error: failure.reason ?? new Error("create failed") };
    remaining -= batch;
  }
  return { successes };
}

function sameLabels(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((key) => x[key] === y[key]);
}

function isNamespaceTerminating(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.status.details?.causes ?? []).some((cause) => cause.type === "NamespaceTerminating")
  );
}

/**
 * A write raced with another writer or with a deletion: retried with back-off like any
 * failure (the next sync sees the newer cache), logged quietly.
 */
export function quietOnRace(error: unknown): never {
  if (isConflict(error) || isNotFound(error)) throw new IgnorableError(messageOf(error));
  throw error;
}

/**
 * Deployment controller (upstream's deployment controller).
 * Reconciles: a Deployment runs its template through ReplicaSets: one "new" ReplicaSet
 * per template (named `<deployment>-<pod-template-hash>`), rolled out by its strategy
 * (RollingUpdate within maxSurge/maxUnavailable, or Recreate), resized in proportion
 * when the Deployment is scaled mid-rollout or while paused.
 * Owns: its ReplicaSets (created, scaled, adopted, released, old empty ones beyond
 * revisionHistoryLimit deleted) with their revision and replica annotations, the
 * Deployment's revision annotation, and its status and conditions.
 * Watches: Deployments, ReplicaSets (mapped to their Deployment), and pod deletions (a
 * Recreate rollout waits for the old pods to go).
 * Rollback is kubectl's: `rollout undo` writes an old ReplicaSet's template back into
 * the Deployment; that ReplicaSet is then the new one and gets the next revision.
 */
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject, OwnerReference } from "../resources/kind.ts";
import { LabelSelector } from "../resources/labels/label-selector.ts";
import type { Pod } from "./active-pods.ts";
import { type ControllerClient, ControllerLoop, isAlreadyExists, isResync } from "./controller.ts";
import { claimObjects, recheckByGet } from "./controller-ref-manager.ts";
import {
  oldPodsRunning,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  type Scaler,
  scaleDownOldForRecreate,
  scaleReplicaSets,
} from "./deployment-rollout.ts";
import {
  calculateStatus,
  deploymentComplete,
  getCondition,
  newCondition,
  Reasons,
  rolloutStatus,
  setCondition,
} from "./deployment-status.ts";
import {
  activeReplicaSets,
  computeHash,
  type Deployment,
  type DeploymentStatus,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  hasProgressDeadline,
  isRollingUpdate,
  maxRevision,
  maxSurge,
  newReplicaSet,
  newRSNewReplicas,
  REVISION,
  replicaSetsToCleanUp,
  replicasAnnotationsNeedUpdate,
  semanticEqual,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
} from "./deployment-util.ts";
import { EventRecorder } from "./events.ts";
import { BY_CONTROLLER, controllerOf } from "./owners.ts";
import { quietOnRace } from "./replica-set.ts";
import { messageOf, type ReplicaSet } from "./replica-set-status.ts";
import type { SharedInformers } from "./shared-informers.ts";

const apps = { group: "apps", version: "v1" };
const quote = (name: string | undefined) => JSON.stringify(name ?? "");

export interface DeploymentControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  now?: () => Date;
}

export class DeploymentController {
  readonly deployments: Informer<Deployment>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly events: EventRecorder;
  readonly #now: () => Date;

  constructor(options: DeploymentControllerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#now = options.now ?? (() => new Date());
    this.events = new EventRecorder({
      client: options.client,
      component: "deployment-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key), workers: 2 });
    this.deployments = options.informers.informer({
      path: resourcePath({ ...apps, resource: "deployments" }),
    });
    this.replicaSets = options.informers.informer({
      path: resourcePath({ ...apps, resource: "replicasets" }),
    });
    this.pods = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "pods" }),
    });
    const enqueue = (d: KubeObject) => this.loop.enqueue(objectKey(d));
    this.deployments.addEventHandler({
      onAdd: enqueue,
      onUpdate: (old, d) => {
        if (!isResync(old, d)) enqueue(d);
      },
      onDelete: enqueue,
    });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.#replicaSetChanged(undefined, rs),
      onUpdate: (old, rs) => this.#replicaSetChanged(old, rs),
      onDelete: (rs) => {
        const ref = controllerOf(rs);
        const d = ref && this.#resolve(rs.metadata?.namespace, ref);
        if (d) enqueue(d);
      },
    });
    this.pods.addEventHandler({ onDelete: (pod) => this.#podDeleted(pod) });
  }

  async sync(key: string): Promise<void> {
    await this.#sync(key).catch(quietOnRace);
  }

  async #sync(key: string): Promise<void> {
    const cached = this.deployments.store.get(key);
    if (!cached) return;
    const d: Deployment = { ...structuredClone(cached), apiVersion: "apps/v1", kind: "Deployment" };
    d.status ??= {};
    const selector = d.spec?.selector;
    if (selector && Object.keys(selector).length === 0) {
      this.events.event(
        d,
        "Warning",
        "SelectingAll",
        "This deployment is selecting all pods. A non-empty selector is required.",
      );
      if ((d.status.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status.observedGeneration = d.metadata?.generation;
        await this.#writeStatus(d);
      }
      return;
    }
    const rsList = await this.#claimReplicaSets(d);
    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await this.#syncRevision(d, rsList, false);
      await this.#syncDeploymentStatus([...oldRSs, newRS], newRS, d);
      return;
    }
    await this.#checkPausedConditions(d);
    if (d.spec?.paused || (await this.#isScalingEvent(d, rsList))) {
      await this.#syncScaling(d, rsList);
    } else if (isRollingUpdate(d)) {
      await this.#rolloutRolling(d, rsList);
    } else {
      await this.#rolloutRecreate(d, rsList);
    }
  }

  async #claimReplicaSets(d: Deployment): Promise<ReplicaSet[]> {
    const namespace = d.metadata?.namespace ?? "";
    return claimObjects(this.replicaSets.store.byIndex("namespace", namespace), {
      owner: d,
      selector: LabelSelector.fromObject(d.spec?.selector),
      recheckOwner: recheckByGet(this.#client, this.#path(d, "deployments"), d),
      patch: async (rs, patch) => {
        await this.#client.patch(this.#path(rs, "replicasets"), patch, "strategic");
      },
    });
  }

  /** A resize, or anything while paused: no rollout, only proportions (upstream's sync). */
  async #syncScaling(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.#syncRevision(d, rsList, false);
    await scaleReplicaSets(d, newRS, oldRSs, this.#scaler(d, rsList));
    if (d.spec?.paused) await this.#cleanup(oldRSs, d);
    await this.#syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  async #rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.#syncRevision(d, rsList, true);
    if (!newRS) return;
    const allRSs = [...oldRSs, newRS];
    const scaler = this.#scaler(d, rsList);
    if (await reconcileNewReplicaSet(d, allRSs, newRS, scaler)) {
      return this.#syncRolloutStatus(allRSs, newRS, d);
    }
    if (await reconcileOldReplicaSets(d, allRSs, activeReplicaSets(oldRSs), newRS, scaler)) {
      return this.#syncRolloutStatus(allRSs, newRS, d);
    }
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanup(oldRSs, d);
    await this.#syncRolloutStatus(allRSs, newRS, d);
  }

  async #rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.#syncRevision(d, rsList, false);
    const scaler = this.#scaler(d, rsList);
    if (await scaleDownOldForRecreate(activeReplicaSets(oldRSs), scaler)) {
      return this.#syncRolloutStatus([...oldRSs, newRS], newRS, d);
    }
    if (oldPodsRunning(newRS, oldRSs, this.#podsByReplicaSet(rsList))) {
      return this.#syncRolloutStatus([...oldRSs, newRS], newRS, d);
    }
    if (!newRS) ({ newRS, oldRSs } = await this.#syncRevision(d, rsList, true));
    if (newRS && specReplicas(newRS) !== specReplicas(d)) {
      await scaler.scale(newRS, specReplicas(d));
    }
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanup(oldRSs, d);
    await this.#syncRolloutStatus([...oldRSs, newRS], newRS, d);
  }

  /** Whether a replica annotation shows the Deployment was resized since its last rollout step. */
  async #isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.#syncRevision(d, rsList, false);
    return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== specReplicas(d);
    });
  }

  /**
   * The new and old ReplicaSets, the new one's annotations (revision above every old
   * one, the Deployment's annotations) and the Deployment's revision brought up to
   * date; with `create`, a missing new ReplicaSet is created (upstream's
   * getAllReplicaSetsAndSyncRevision).
   */
  async #syncRevision(
    d: Deployment,
    rsList: ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    const existing = findNewReplicaSet(d, rsList);
    if (existing)
      return { newRS: await this.#syncNewReplicaSet(d, existing, rsList, newRevision), oldRSs };
    if (!create) return { newRS: undefined, oldRSs };
    return { newRS: await this.#createNewReplicaSet(d, rsList, oldRSs, newRevision), oldRSs };
  }

  async #syncNewReplicaSet(
    d: Deployment,
    existing: ReplicaSet,
    rsList: ReplicaSet[],
    newRevision: number,
  ): Promise<ReplicaSet> {
    const copy = structuredClone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    const minReadySeconds = d.spec?.minReadySeconds ?? 0;
    if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== minReadySeconds) {
      copy.spec = { ...copy.spec, minReadySeconds };
      // The Deployment's revision follows on the sync this update triggers.
      return this.#updateReplicaSet(copy, rsList);
    }
    await this.#setRevision(d, copy.metadata?.annotations?.[REVISION] ?? "");
    if (hasProgressDeadline(d) && !getCondition(d.status, "Progressing")) {
      const message = `Found new replica set ${quote(copy.metadata?.name)}`;
      setCondition(
        d.status ?? {},
        newCondition("Progressing", "True", Reasons.foundNewReplicaSet, message, this.#now()),
      );
      await this.#writeStatus(d);
    }
    return copy;
  }

  async #createNewReplicaSet(
    d: Deployment,
    rsList: ReplicaSet[],
    oldRSs: ReplicaSet[],
    newRevision: number,
  ): Promise<ReplicaSet> {
    const status = d.status ?? {};
    const rs = newReplicaSet(d, computeHash(d.spec?.template, status.collisionCount));
    const name = rs.metadata?.name ?? "";
    const namespace = d.metadata?.namespace ?? "";
    if (rs.spec) rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.#client.create(
        resourcePath({ ...apps, resource: "replicasets", namespace }),
        rs,
      );
    } catch (error) {
      if (!isAlreadyExists(error)) {
        const message = `Failed to create new replica set ${quote(name)}: ${messageOf(error)}`;
        if (hasProgressDeadline(d)) {
          setCondition(
            status,
            newCondition("Progressing", "False", Reasons.failedCreate, message, this.#now()),
          );
          await this.#writeStatus(d).catch(() => {});
        }
        this.events.event(d, "Warning", Reasons.failedCreate, message);
        throw error;
      }
      // A cache behind our own create, or another template hashing to the same name.
      alreadyExists = true;
      const found =
        this.replicaSets.store.get(`${namespace}/${name}`) ??
        (await this.#client.get<ReplicaSet>(this.#path(rs, "replicasets")));
      const ref = controllerOf(found);
      if (
        ref?.uid !== d.metadata?.uid ||
        !equalIgnoreHash(d.spec?.template, found.spec?.template)
      ) {
        status.collisionCount = (status.collisionCount ?? 0) + 1;
        await this.#writeStatus(d);
        this.#log.info("hash collision for a new replica set; collisionCount raised", {
          deployment: objectKey(d),
          collisionCount: status.collisionCount,
        });
        throw error;
      }
      created = found;
    }
    if (!rsList.some((item) => item.metadata?.uid === created.metadata?.uid)) rsList.push(created);
    const replicas = specReplicas(created);
    if (!alreadyExists && replicas > 0) {
      this.events.event(
        d,
        "Normal",
        "ScalingReplicaSet",
        `Scaled up replica set ${name} from 0 to ${replicas}`,
      );
    }
    await this.#setRevision(d, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      const message = `Created new replica set ${quote(name)}`;
      setCondition(
        status,
        newCondition("Progressing", "True", Reasons.newReplicaSet, message, this.#now()),
      );
      await this.#writeStatus(d);
    }
    return created;
  }

  #scaler(d: Deployment, rsList: ReplicaSet[]): Scaler {
    return {
      scale: async (rs, replicas) => {
        const current = specReplicas(rs);
        const desired = specReplicas(d);
        const max = desired + maxSurge(d);
        const sizeChanged = current !== replicas;
        if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) {
          return { scaled: false, rs };
        }
        const copy = structuredClone(rs);
        copy.spec = { ...copy.spec, replicas };
        setReplicasAnnotations(copy, desired, max);
        const updated = await this.#updateReplicaSet(copy, rsList);
        if (sizeChanged) {
          const direction = replicas > current ? "up" : "down";
          this.events.event(
            d,
            "Normal",
            "ScalingReplicaSet",
            `Scaled ${direction} replica set ${rs.metadata?.name} from ${current} to ${replicas}`,
          );
        }
        return { scaled: sizeChanged, rs: updated };
      },
    };
  }

  async #updateReplicaSet(rs: ReplicaSet, rsList: ReplicaSet[]): Promise<ReplicaSet> {
    const updated = await this.#client.update<ReplicaSet>(this.#path(rs, "replicasets"), {
      ...rs,
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
    });
    const i = rsList.findIndex((item) => item.metadata?.uid === updated.metadata?.uid);
    if (i >= 0) rsList[i] = updated;
    return updated;
  }

  /** Deletes old empty ReplicaSets beyond revisionHistoryLimit, oldest revision first. */
  async #cleanup(oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
    for (const rs of replicaSetsToCleanUp(d, oldRSs)) {
      await this.#client.delete(this.#path(rs, "replicasets")).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }

  async #checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const status = d.status ?? {};
    const condition = getCondition(status, "Progressing");
    // A reported lack of progress is not overwritten by a pause.
    if (condition?.reason === Reasons.timedOut) return;
    const pausedShown = condition?.reason === Reasons.paused;
    if (d.spec?.paused && !pausedShown) {
      setCondition(
        status,
        newCondition("Progressing", "Unknown", Reasons.paused, "Deployment is paused", this.#now()),
      );
    } else if (!d.spec?.paused && pausedShown) {
      setCondition(
        status,
        newCondition(
          "Progressing",
          "Unknown",
          Reasons.resumed,
          "Deployment is resumed",
          this.#now(),
        ),
      );
    } else {
      return;
    }
    await this.#writeStatus(d);
  }

  async #syncDeploymentStatus(
    allRSs: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
    d: Deployment,
  ): Promise<void> {
    const status = calculateStatus(present(allRSs), newRS, d, this.#now());
    if (semanticEqual(d.status, status)) return;
    d.status = status;
    await this.#writeStatus(d);
  }

  /** The status with the Progressing condition a rollout earns (upstream's syncRolloutStatus). */
  async #syncRolloutStatus(
    allRSs: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
    d: Deployment,
  ): Promise<void> {
    const now = this.#now();
    const next = rolloutStatus(present(allRSs), newRS, d, now);
    if (semanticEqual(d.status, next)) {
      this.#requeueStuck(d, next, now);
      return;
    }
    d.status = next;
    await this.#writeStatus(d);
  }

  /** Looks again when the progress deadline passes, in case nothing else happens by then. */
  #requeueStuck(d: Deployment, status: DeploymentStatus, now: Date): void {
    const condition = getCondition(d.status, "Progressing");
    if (!hasProgressDeadline(d) || !condition) return;
    if (deploymentComplete(d, status) || condition.reason === Reasons.timedOut) return;
    const deadline =
      Date.parse(condition.lastUpdateTime ?? "") + (d.spec?.progressDeadlineSeconds ?? 0) * 1000;
    if (Number.isNaN(deadline)) return;
    const after = deadline - now.getTime();
    if (after < 1000) this.loop.queue.addRateLimited(objectKey(d));
    // A second more, so the check does not land just before the deadline.
    else this.loop.queue.addAfter(objectKey(d), after + 1000);
  }

  async #setRevision(d: Deployment, revision: string): Promise<void> {
    const meta = d.metadata ?? {};
    if (meta.annotations?.[REVISION] === revision) return;
    meta.annotations = { ...meta.annotations, [REVISION]: revision };
    // Upstream writes it with the status; here /status keeps metadata, so the object is updated.
    const updated = await this.#client.update(this.#path(d, "deployments"), d);
    meta.resourceVersion = updated.metadata?.resourceVersion;
  }

  async #writeStatus(d: Deployment): Promise<void> {
    const updated = await this.#client.updateStatus(this.#path(d, "deployments"), d);
    if (d.metadata) d.metadata.resourceVersion = updated.metadata?.resourceVersion;
  }

  #podsByReplicaSet(rsList: ReplicaSet[]): Map<string, Pod[]> {
    const map = new Map<string, Pod[]>();
    for (const rs of rsList) {
      const uid = rs.metadata?.uid ?? "";
      map.set(uid, this.pods.store.byIndex(BY_CONTROLLER, uid));
    }
    return map;
  }

  #path(object: KubeObject, resource: string): string {
    const { namespace, name } = object.metadata ?? {};
    return resourcePath({ ...apps, resource, namespace, name });
  }

  #resolve(namespace: string | undefined, ref: OwnerReference): Deployment | undefined {
    if (ref.kind !== "Deployment") return undefined;
    const d = this.deployments.store.get(`${namespace}/${ref.name}`);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  #replicaSetChanged(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const ref = controllerOf(rs);
    const oldRef = old && controllerOf(old);
    const refChanged = old !== undefined && ref?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const previous = this.#resolve(old?.metadata?.namespace, oldRef);
      if (previous) this.loop.enqueue(objectKey(previous));
    }
    if (ref) {
      const d = this.#resolve(rs.metadata?.namespace, ref);
      if (d) this.loop.enqueue(objectKey(d));
      return;
    }
    const labelsChanged =
      !old ||
      JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(rs.metadata?.labels ?? {});
    if (!labelsChanged && !refChanged) return;
    // An orphan: every Deployment that would adopt it.
    for (const d of this.deployments.store.byIndex("namespace", rs.metadata?.namespace ?? "")) {
      try {
        const selector = LabelSelector.fromObject(d.spec?.selector);
        if (!selector.isEmpty() && selector.matches(rs.metadata?.labels)) {
          this.loop.enqueue(objectKey(d));
        }
      } catch {}
    }
  }

  #podDeleted(pod: Pod): void {
    const ref = controllerOf(pod);
    if (ref?.kind !== "ReplicaSet") return;
    const rs = this.replicaSets.store.get(`${pod.metadata?.namespace}/${ref.name}`);
    const owner = rs && controllerOf(rs);
    const d = owner && this.#resolve(rs?.metadata?.namespace, owner);
    if (d && d.spec?.strategy?.type === "Recreate") this.loop.enqueue(objectKey(d));
  }
}

function present(list: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return list.filter((rs): rs is ReplicaSet => rs !== undefined);
}

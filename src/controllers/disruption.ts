/**
 * Disruption controller (upstream's disruption controller).
 * Reconciles: every PodDisruptionBudget's status: expectedPods, desiredHealthy,
 * currentHealthy, disruptionsAllowed, observedGeneration and the DisruptionAllowed
 * condition, and disruptedPods (evictions the API granted; an entry goes once the pod
 * is being deleted, or after two minutes if it never is). Also resets a pod's
 * DisruptionTarget condition that went stale (the pod was never deleted).
 * Owns: PDB status. Watches: PDBs, Pods, and for the scale percentages refer to the
 * pods' controllers: ReplicationControllers, ReplicaSets, Deployments, StatefulSets.
 */
import { isDeepStrictEqual } from "node:util";
import { isConflict, isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject, OwnerReference } from "../resources/kind.ts";
import {
  DISRUPTION_ALLOWED,
  disruptionConditionIsUpToDate,
  type PodDisruptionBudgetStatus,
  SYNC_FAILED,
  setStatusCondition,
  updateDisruptionAllowedCondition,
} from "../resources/kinds/policy/pod-disruption-budget-status.ts";
import { LabelSelector, type MetaV1LabelSelector } from "../resources/labels/label-selector.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import { EventRecorder, eventTimestamp } from "./events.ts";
import { controllerOf } from "./owners.ts";
import type { SharedInformers } from "./shared-informers.ts";

/** How long a granted eviction may take before the pod counts as healthy again (upstream). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;
/** How long a DisruptionTarget condition may stand on a pod that is not deleted (upstream). */
export const STALE_DISRUPTION_TIMEOUT_MS = 2 * 60 * 1000;

type IntOrString = number | string;

interface PdbSpec {
  minAvailable?: IntOrString | null;
  maxUnavailable?: IntOrString | null;
  selector?: MetaV1LabelSelector | null;
}

/** A controller's UID and desired replicas: the denominator of percentages. */
export interface ControllerScale {
  uid: string;
  scale: number;
}

/** Finds the scale of the controller a pod's controller reference points at; null when unknown. */
export type ScaleFinder = (ref: OwnerReference, namespace: string) => ControllerScale | null;

export interface DisruptionOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  now?: () => number;
}

export class DisruptionController {
  readonly budgets: Informer;
  readonly pods: Informer;
  readonly replicationControllers: Informer;
  readonly replicaSets: Informer;
  readonly deployments: Informer;
  readonly statefulSets: Informer;
  readonly loop: ControllerLoop;
  readonly #options: DisruptionOptions;
  readonly #recorder: EventRecorder;
  readonly #now: () => number;

  constructor(options: DisruptionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    // Upstream's disruption controller records as "controllermanager".
    this.#recorder = new EventRecorder({
      client: options.client,
      component: "controllermanager",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key), workers: 2 });
    const { informers } = options;
    this.budgets = informers.informer({
      path: resourcePath({ group: "policy", version: "v1", resource: "poddisruptionbudgets" }),
    });
    this.pods = informers.informer({ path: resourcePath({ version: "v1", resource: "pods" }) });
    this.replicationControllers = informers.informer({
      path: resourcePath({ version: "v1", resource: "replicationcontrollers" }),
    });
    const apps = (resource: string) =>
      informers.informer({ path: resourcePath({ group: "apps", version: "v1", resource }) });
    this.replicaSets = apps("replicasets");
    this.deployments = apps("deployments");
    this.statefulSets = apps("statefulsets");

    this.budgets.addEventHandler({
      onAdd: (pdb) => this.loop.enqueue(`pdb/${objectKey(pdb)}`),
      onUpdate: (old, pdb) => {
        if (!isResync(old, pdb)) this.loop.enqueue(`pdb/${objectKey(pdb)}`);
      },
      onDelete: (pdb) => this.loop.enqueue(`pdb/${objectKey(pdb)}`),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.#podChanged(pod),
      onUpdate: (old, pod) => {
        if (isResync(old, pod)) return;
        this.#podChanged(pod);
        if (!isDeepStrictEqual(old.metadata?.labels, pod.metadata?.labels)) this.#podChanged(old);
      },
      onDelete: (pod) => this.#podChanged(pod),
    });
    // A controller scaled without its pods changing yet still moves percentages.
    for (const workloads of [
      this.replicationControllers,
      this.replicaSets,
      this.deployments,
      this.statefulSets,
    ]) {
      workloads.addEventHandler({
        onUpdate: (old, workload) => {
          if (replicasOf(old) === replicasOf(workload)) return;
          const namespace = workload.metadata?.namespace ?? "";
          for (const pdb of this.budgets.store.byIndex("namespace", namespace)) {
            this.loop.enqueue(`pdb/${objectKey(pdb)}`);
          }
        },
      });
    }
  }

  async sync(key: string): Promise<void> {
    if (key.startsWith("pdb/")) return this.#syncBudget(key.slice("pdb/".length));
    if (key.startsWith("stale/")) return this.#syncStaleDisruption(key.slice("stale/".length));
  }

  async #syncBudget(key: string): Promise<void> {
    const pdb = this.budgets.store.get(key);
    if (!pdb) return;
    try {
      await this.#trySync(pdb);
    } catch (error) {
      // A conflict only means our copy was stale: retry without declaring failure.
      if (isConflict(error) || isNotFound(error)) throw error;
      await this.#failSafe(pdb, error);
      throw error;
    }
  }

  async #trySync(pdb: KubeObject): Promise<void> {
    const now = this.#now();
    const pods = this.podsFor(pdb);
    if (pods.length === 0) this.#recorder.event(pdb, "Normal", "NoPods", "No matching pods found");
    let counts: ExpectedCounts;
    try {
      counts = expectedCounts(pdb, pods, (ref, namespace) => this.findScale(ref, namespace));
    } catch (error) {
      this.#recorder.event(
        pdb,
        "Warning",
        "CalculateExpectedPodCountFailed",
        `Failed to calculate the number of expected pods: ${(error as Error).message}`,
      );
      throw error;
    }
    if (counts.unmanagedPods.length > 0) {
      this.#recorder.event(
        pdb,
        "Warning",
        "UnmanagedPods",
        `Pods selected by this PodDisruptionBudget (selector: ${selectorText(pdb)}) were found to be unmanaged. ` +
          "As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. " +
          'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
      );
    }
    const { disrupted, recheckAt, expired } = disruptedPodMap(pods, statusOf(pdb), now);
    for (const pod of expired) {
      this.#recorder.event(
        pod,
        "Warning",
        "NotDeleted",
        `Pod was expected by PDB ${objectKey(pdb)} to be deleted but it wasn't`,
      );
    }
    const status = budgetStatus(pdb, {
      currentHealthy: countHealthy(pods, disrupted, now),
      desiredHealthy: counts.desiredHealthy,
      expectedPods: counts.expectedPods,
      disrupted,
      now,
    });
    if (status) {
      await this.#options.client.updateStatus(pdbPath(pdb), { ...structuredClone(pdb), status });
    }
    if (recheckAt !== undefined) this.loop.queue.addAfter(`pdb/${objectKey(pdb)}`, recheckAt - now);
  }

  /** Upstream's failSafe: no disruptions while the budget cannot be computed. */
  async #failSafe(pdb: KubeObject, error: unknown): Promise<void> {
    const status = structuredClone(statusOf(pdb));
    status.disruptionsAllowed = 0;
    status.conditions ??= [];
    setStatusCondition(
      status.conditions,
      {
        type: DISRUPTION_ALLOWED,
        status: "False",
        reason: SYNC_FAILED,
        message: (error as Error).message,
        ...(status.observedGeneration !== undefined
          ? { observedGeneration: status.observedGeneration }
          : {}),
      },
      new Date(this.#now()),
    );
    try {
      await this.#options.client.updateStatus(pdbPath(pdb), { ...structuredClone(pdb), status });
    } catch (failure) {
      this.#options.log.warn("could not mark the budget failed", { pdb: objectKey(pdb), failure });
    }
  }

  /** The pods a budget selects: an empty selector selects the whole namespace, none selects nothing. */
  podsFor(pdb: KubeObject): KubeObject[] {
    const selector = selectorOf(pdb);
    if (!selector) return [];
    return this.pods.store
      .byIndex("namespace", pdb.metadata?.namespace ?? "")
      .filter((pod) => selector.matches(pod.metadata?.labels));
  }

  /** Upstream's finders: RC, Deployment (through its ReplicaSet), ReplicaSet, StatefulSet. */
  findScale(ref: OwnerReference, namespace: string): ControllerScale | null {
    const group = ref.apiVersion.includes("/") ? ref.apiVersion.split("/")[0] : "";
    const owned = (informer: Informer, name: string, uid: string) => {
      const found = informer.store.get(`${namespace}/${name}`);
      return found && found.metadata?.uid === uid ? found : undefined;
    };
    if (ref.kind === "ReplicationController" && group === "") {
      const rc = owned(this.replicationControllers, ref.name, ref.uid);
      return rc ? { uid: ref.uid, scale: replicasOf(rc) } : null;
    }
    if (ref.kind === "StatefulSet" && group === "apps") {
      const set = owned(this.statefulSets, ref.name, ref.uid);
      return set ? { uid: ref.uid, scale: replicasOf(set) } : null;
    }
    if (ref.kind === "ReplicaSet" && (group === "apps" || group === "extensions")) {
      const rs = owned(this.replicaSets, ref.name, ref.uid);
      if (!rs) return null;
      const parent = controllerOf(rs);
      if (!parent || parent.kind !== "Deployment") return { uid: ref.uid, scale: replicasOf(rs) };
      const deployment = owned(this.deployments, parent.name, parent.uid);
      return deployment ? { uid: parent.uid, scale: replicasOf(deployment) } : null;
    }
    return null;
  }

  #podChanged(pod: KubeObject): void {
    const namespace = pod.metadata?.namespace ?? "";
    for (const pdb of this.budgets.store.byIndex("namespace", namespace)) {
      if (selectorOf(pdb)?.matches(pod.metadata?.labels))
        this.loop.enqueue(`pdb/${objectKey(pdb)}`);
    }
    const stale = staleDisruptionIn(pod, this.#now());
    if (stale !== undefined) this.loop.queue.addAfter(`stale/${objectKey(pod)}`, stale);
  }

  /** Upstream's syncStalePodDisruption: a DisruptionTarget nobody acted on goes back to False. */
  async #syncStaleDisruption(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    if (!pod) return;
    const wait = staleDisruptionIn(pod, this.#now());
    if (wait === undefined) return;
    if (wait > 0) {
      this.loop.queue.addAfter(`stale/${key}`, wait);
      return;
    }
    const path = resourcePath({
      version: "v1",
      resource: "pods",
      namespace: pod.metadata?.namespace ?? "",
      name: pod.metadata?.name ?? "",
    });
    try {
      await this.#options.client.patch(
        `${path}/status`,
        {
          metadata: { resourceVersion: pod.metadata?.resourceVersion },
          status: {
            conditions: [
              {
                type: "DisruptionTarget",
                status: "False",
                lastTransitionTime: eventTimestamp(new Date(this.#now())),
              },
            ],
          },
        },
        "strategic",
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

export interface ExpectedCounts {
  expectedPods: number;
  desiredHealthy: number;
  /** Names of selected pods without a controller (they count for nothing in a percentage). */
  unmanagedPods: string[];
}

/**
 * Upstream's getExpectedPodCount: an integer minAvailable counts the selected pods;
 * a percentage or maxUnavailable counts the replicas their controllers want. A pod
 * whose controller cannot be found is an error.
 */
export function expectedCounts(
  pdb: KubeObject,
  pods: readonly KubeObject[],
  findScale: ScaleFinder,
): ExpectedCounts {
  const spec = (pdb.spec ?? {}) as PdbSpec;
  if (spec.maxUnavailable != null) {
    const { expectedPods, unmanagedPods } = expectedScale(pods, findScale);
    const maxUnavailable = scaledValue(spec.maxUnavailable, expectedPods);
    return {
      expectedPods,
      desiredHealthy: Math.max(0, expectedPods - maxUnavailable),
      unmanagedPods,
    };
  }
  if (typeof spec.minAvailable === "number") {
    return { expectedPods: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
  }
  if (typeof spec.minAvailable === "string") {
    const { expectedPods, unmanagedPods } = expectedScale(pods, findScale);
    return {
      expectedPods,
      desiredHealthy: scaledValue(spec.minAvailable, expectedPods),
      unmanagedPods,
    };
  }
  return { expectedPods: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/** The sum of the scales of the selected pods' controllers (each counted once). */
function expectedScale(pods: readonly KubeObject[], findScale: ScaleFinder) {
  const scales = new Map<string, number>();
  const unmanagedPods: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanagedPods.push(pod.metadata?.name ?? "");
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const found = findScale(ref, pod.metadata?.namespace ?? "");
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name ?? ""}"`);
    scales.set(found.uid, found.scale);
  }
  let expectedPods = 0;
  for (const scale of scales.values()) expectedPods += scale;
  return { expectedPods, unmanagedPods };
}

/** intstr.GetScaledValueFromIntOrPercent with rounding up, as the disruption controller asks. */
export function scaledValue(value: IntOrString, total: number): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(value);
  if (!match)
    throw new Error(`invalid value for IntOrString: invalid value "${value}": is not a percentage`);
  return Math.ceil((Number(match[1]) * total) / 100);
}

/**
 * Upstream's buildDisruptedPodMap: the granted evictions still pending (pod present,
 * not yet being deleted, granted under two minutes ago), the earliest time one of
 * them expires, and the pods whose grant expired without a deletion.
 */
export function disruptedPodMap(
  pods: readonly KubeObject[],
  status: PodDisruptionBudgetStatus,
  now: number,
): { disrupted: Record<string, string>; recheckAt?: number; expired: KubeObject[] } {
  const granted = status.disruptedPods ?? {};
  const disrupted: Record<string, string> = {};
  const expired: KubeObject[] = [];
  let recheckAt: number | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? "";
    const at = granted[name];
    if (at === undefined) continue;
    const expectedDeletion = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (expectedDeletion < now) {
      expired.push(pod);
      continue;
    }
    disrupted[name] = at;
    if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
  }
  return recheckAt === undefined ? { disrupted, expired } : { disrupted, recheckAt, expired };
}

/** Upstream's countHealthyPods: Ready, not being deleted, no eviction pending. */
export function countHealthy(
  pods: readonly KubeObject[],
  disrupted: Readonly<Record<string, string>>,
  now: number,
): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[pod.metadata?.name ?? ""];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/**
 * Upstream's updatePdbStatus: the status to write, or undefined when the stored one is
 * current. No pods expected means no disruptions allowed, so a budget whose pods have
 * not been counted yet is safe.
 */
export function budgetStatus(
  pdb: KubeObject,
  counts: {
    currentHealthy: number;
    desiredHealthy: number;
    expectedPods: number;
    disrupted: Record<string, string>;
    now: number;
  },
): PodDisruptionBudgetStatus | undefined {
  const { currentHealthy, desiredHealthy, expectedPods, disrupted } = counts;
  let disruptionsAllowed = currentHealthy - desiredHealthy;
  if (expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const old = statusOf(pdb);
  const generation = pdb.metadata?.generation;
  if (
    old.currentHealthy === currentHealthy &&
    old.desiredHealthy === desiredHealthy &&
    old.expectedPods === expectedPods &&
    old.disruptionsAllowed === disruptionsAllowed &&
    isDeepStrictEqual(old.disruptedPods ?? {}, disrupted) &&
    old.observedGeneration === generation &&
    disruptionConditionIsUpToDate(old, generation)
  ) {
    return undefined;
  }
  const status: PodDisruptionBudgetStatus = {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods,
    conditions: structuredClone(old.conditions ?? []),
  };
  updateDisruptionAllowedCondition(status, new Date(counts.now));
  return status;
}

/**
 * Milliseconds until a pod's DisruptionTarget condition counts as stale (0: it is), or
 * undefined when it has none that can go stale: being deleted, finished, or set by the
 * kubelet (which may take arbitrarily long to act).
 */
export function staleDisruptionIn(pod: KubeObject, now: number): number | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const status = (pod.status ?? {}) as {
    phase?: string;
    conditions?: { type?: string; status?: string; reason?: string; lastTransitionTime?: string }[];
  };
  if (status.phase === "Succeeded" || status.phase === "Failed") return undefined;
  const condition = status.conditions?.find((c) => c.type === "DisruptionTarget");
  if (!condition || condition.status !== "True" || condition.reason === "TerminationByKubelet") {
    return undefined;
  }
  const since = Date.parse(condition.lastTransitionTime ?? "");
  if (!Number.isFinite(since)) return 0;
  return Math.max(0, since + STALE_DISRUPTION_TIMEOUT_MS - now);
}

function isPodReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type?: string; status?: string }[] })
    ?.conditions;
  return conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function statusOf(pdb: KubeObject): PodDisruptionBudgetStatus {
  return (pdb.status ?? {}) as PodDisruptionBudgetStatus;
}

function selectorOf(pdb: KubeObject): LabelSelector | undefined {
  try {
    const selector = LabelSelector.fromObject((pdb.spec as PdbSpec | undefined)?.selector);
    return selector.matchesNothing() ? undefined : selector;
  } catch {
    return undefined;
  }
}

function selectorText(pdb: KubeObject): string {
  return JSON.stringify((pdb.spec as PdbSpec | undefined)?.selector ?? null);
}

function replicasOf(workload: KubeObject): number {
  return (workload.spec as { replicas?: number } | undefined)?.replicas ?? 1;
}

function pdbPath(pdb: KubeObject): string {
  return resourcePath({
    group: "policy",
    version: "v1",
    resource: "poddisruptionbudgets",
    namespace: pdb.metadata?.namespace ?? "",
    name: pdb.metadata?.name ?? "",
  });
}

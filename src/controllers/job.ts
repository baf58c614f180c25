/**
 * Job controller (upstream's job-controller).
 * Reconciles: each Job runs pods from its template, at most `parallelism` at a time,
 * until `completions` pods succeeded (NonIndexed) or every index below `completions`
 * has a succeeded pod (Indexed); it fails after more than `backoffLimit` failed pods
 * or `activeDeadlineSeconds` of activity, deletes its active pods while suspended, and
 * writes status: active, ready, terminating, succeeded, failed, completedIndexes,
 * startTime, completionTime and the conditions (SuccessCriteriaMet then Complete,
 * FailureTarget then Failed, once no pod is still terminating; Suspended).
 * Owns: the Job's pods. Each is created with the batch.kubernetes.io/job-tracking
 * finalizer, recorded in status.uncountedTerminatedPods once finished, then freed of
 * the finalizer and added to the counters, so a count survives the pod's deletion.
 * Watches: jobs, pods (an orphaned pod still holding the finalizer is queued as
 * `pod:<namespace>/<name>` and freed).
 */
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { isPodActive, isPodReady } from "./active-pods.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import { EventRecorder, eventTimestamp } from "./events.ts";
import {
  activePodsForRemoval,
  addCompletionIndexEnv,
  type BackoffRecord,
  byIndex,
  COMPLETION_INDEX,
  completionsOf,
  firstPendingIndexes,
  formatIndexes,
  generateNameWithIndex,
  hasTrackingFinalizer,
  isIndexed,
  isPodFailed,
  isPodTerminal,
  JOB_TRACKING_FINALIZER,
  type JobSpec,
  newBackoffRecord,
  onlyReplaceFailedPods,
  parseIndexes,
  pastBackoffLimitOnFailure,
  podPhase,
  remainingBackoff,
  specOf,
  validIndex,
} from "./job-pods.ts";
import { isNamespaceTerminating } from "./namespace-terminating.ts";
import { BY_CONTROLLER, controllerOf, Expectations, podFromTemplate } from "./owners.ts";
import type { SharedInformers } from "./shared-informers.ts";

const ORPHAN_POD = "pod:";
/** Bounds on one sync, so one big Job cannot starve the others (upstream's values). */
const MAX_UNCOUNTED_PODS = 500;
const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface JobStatus {
  active?: number;
  ready?: number;
  terminating?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  conditions?: JobCondition[];
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

export interface JobControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number;
}

/** What one sync knows about a Job (upstream's syncJobCtx). */
interface SyncContext {
  key: string;
  job: KubeObject;
  status: JobStatus;
  pods: KubeObject[];
  activePods: KubeObject[];
  ready: number;
  terminating: number;
  succeeded: number;
  failed: number;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  prevSucceededIndexes: Set<number>;
  succeededIndexes: Set<number>;
  finished?: JobCondition;
  backoff: BackoffRecord;
}

export class JobController {
  readonly jobs: Informer;
  readonly pods: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly #events: EventRecorder;
  readonly #now: () => number;
  readonly #expectations: Expectations;
  /** Pods whose finalizer we removed but whose update the cache has not shown yet. */
  readonly #finalizerRemovals = new Set<string>();
  readonly #backoff = new Map<string, BackoffRecord>();

  constructor(options: JobControllerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#expectations = new Expectations(this.#now);
    this.#events = new EventRecorder({
      client: options.client,
      component: "job-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.jobs = options.informers.informer({
      path: resourcePath({ group: "batch", version: "v1", resource: "jobs" }),
    });
    this.pods = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "pods" }),
    });
    this.jobs.addEventHandler({
      onAdd: (job) => this.loop.enqueue(keyOf(job)),
      onUpdate: (old, job) => {
        if (isResync(old, job)) return;
        this.loop.enqueue(keyOf(job));
        // The Job cannot finish with pods still holding finalizers; this is a backstop.
        if (isFinished(job)) this.#cleanUpPodFinalizers(job);
        const ads = specOf(job).activeDeadlineSeconds;
        const start = Date.parse(statusOf(job).startTime ?? "");
        if (ads !== undefined && ads !== specOf(old).activeDeadlineSeconds && start) {
          this.loop.queue.addAfter(keyOf(job), start + ads * 1000 - this.#now());
        }
      },
      onDelete: (job) => {
        this.loop.enqueue(keyOf(job));
        this.#cleanUpPodFinalizers(job);
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => {
        if (pod.metadata?.deletionTimestamp) return this.#podDeleted(pod, false);
        const job = this.#jobOf(pod);
        if (job) {
          this.#expectations.creationObserved(keyOf(job));
          this.loop.enqueue(keyOf(job));
        } else if (hasTrackingFinalizer(pod)) this.loop.enqueue(ORPHAN_POD + keyOf(pod));
      },
      onUpdate: (old, pod) => {
        if (isResync(old, pod)) return;
        if (pod.metadata?.deletionTimestamp) return this.#podDeleted(pod, false);
        if (!hasTrackingFinalizer(pod)) this.#finalizerRemovals.delete(pod.metadata?.uid ?? "");
        const previous = this.#jobOf(old);
        if (previous && controllerOf(old)?.uid !== controllerOf(pod)?.uid) {
          this.loop.enqueue(keyOf(previous));
        }
        const job = this.#jobOf(pod);
        if (job) this.loop.enqueue(keyOf(job));
        else if (hasTrackingFinalizer(pod)) this.loop.enqueue(ORPHAN_POD + keyOf(pod));
      },
      onDelete: (pod) => this.#podDeleted(pod, true),
    });
  }

  async sync(key: string): Promise<void> {
    if (key.startsWith(ORPHAN_POD)) return this.#syncOrphanPod(key.slice(ORPHAN_POD.length));
    const cached = this.jobs.store.get(key);
    if (!cached) {
      this.#expectations.delete(key);
      this.#backoff.delete(key);
      return;
    }
    if (isFinished(cached)) {
      this.#backoff.delete(key);
      return;
    }
    const job: KubeObject = { ...structuredClone(cached), apiVersion: "batch/v1", kind: "Job" };
    const spec = specOf(job);
    if (spec.completionMode && !["NonIndexed", "Indexed"].includes(spec.completionMode)) {
      this.#events.event(
        job,
        "Warning",
        "UnknownCompletionMode",
        "Skipped Job sync because completion mode is unknown",
      );
      return;
    }
    const status = statusOf(job);
    job.status = status;
    status.uncountedTerminatedPods ??= {};
    // Checked before reading pods: a pod created after this check is seen next time.
    const satisfied = this.#expectations.satisfied(key);
    const pods = this.pods.store.byIndex(BY_CONTROLLER, job.metadata?.uid ?? "");
    const activePods = pods.filter(isPodActive);
    const uncountedSucceeded = new Set(status.uncountedTerminatedPods.succeeded ?? []);
    const uncountedFailed = new Set(status.uncountedTerminatedPods.failed ?? []);
    const uncounted = (pod: KubeObject, set: Set<string>) =>
      hasTrackingFinalizer(pod) &&
      !set.has(pod.metadata?.uid ?? "") &&
      !this.#finalizerRemovals.has(pod.metadata?.uid ?? "") &&
      (!isIndexed(job) || validIndex(pod, job) !== undefined);
    const newSucceeded = pods.filter(
      (pod) => uncounted(pod, uncountedSucceeded) && podPhase(pod) === "Succeeded",
    );
    const newFailed = pods.filter(
      (pod) => uncounted(pod, uncountedFailed) && isPodFailed(pod, job),
    );
    const ctx: SyncContext = {
      key,
      job,
      status,
      pods,
      activePods,
      ready: activePods.filter(isPodReady).length,
      terminating: pods.filter((pod) => pod.metadata?.deletionTimestamp && !isPodTerminal(pod))
        .length,
      succeeded: (status.succeeded ?? 0) + newSucceeded.length + uncountedSucceeded.size,
      failed: (status.failed ?? 0) + newFailed.length + uncountedFailed.size,
      uncountedSucceeded,
      uncountedFailed,
      prevSucceededIndexes: new Set(),
      succeededIndexes: new Set(),
      backoff: newBackoffRecord(this.#backoff.get(key), newSucceeded, newFailed, this.#now()),
    };
    if (!status.startTime && !spec.suspend) status.startTime = this.#timestamp();

    ctx.finished = findCondition(status, "SuccessCriteriaMet");
    if (!ctx.finished) {
      const target = findCondition(status, "FailureTarget");
      if (target) ctx.finished = this.#condition("Failed", target.reason, target.message);
    }
    if (!ctx.finished) {
      if (ctx.failed > (spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
        ctx.finished = this.#condition(
          "FailureTarget",
          "BackoffLimitExceeded",
          "Job has reached the specified backoff limit",
        );
      } else if (this.#pastActiveDeadline(job)) {
        ctx.finished = this.#condition(
          "FailureTarget",
          "DeadlineExceeded",
          "Job was active longer than specified deadline",
        );
      } else if (spec.activeDeadlineSeconds !== undefined && !spec.suspend) {
        const start = Date.parse(status.startTime ?? "");
        this.loop.queue.addAfter(key, start + spec.activeDeadlineSeconds * 1000 - this.#now());
      }
    }
    if (isIndexed(job)) {
      ctx.prevSucceededIndexes = parseIndexes(status.completedIndexes, completionsOf(job));
      ctx.succeededIndexes = new Set(ctx.prevSucceededIndexes);
      for (const pod of pods) {
        const index = validIndex(pod, job);
        if (index !== undefined && podPhase(pod) === "Succeeded" && hasTrackingFinalizer(pod)) {
          ctx.succeededIndexes.add(index);
        }
      }
      ctx.succeeded = ctx.succeededIndexes.size;
    }

    let active = activePods.length;
    let suspendChanged = false;
    let manageError: unknown;
    if (ctx.finished) {
      const { deleted, deletedReady, error } = await this.#deleteActivePods(job, activePods);
      // Not finished while pods may still hold finalizers or be missing from the cache.
      if (deleted !== active || !satisfied) ctx.finished = undefined;
      active -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      manageError = error;
    } else {
      let managed = false;
      if (satisfied && !job.metadata?.deletionTimestamp) {
        ({ active, error: manageError } = await this.#manageJob(ctx));
        managed = true;
      }
      const completions = spec.completions;
      const complete =
        completions === undefined || completions === null
          ? ctx.succeeded > 0 && active === 0
          : ctx.succeeded >= completions && active === 0;
      if (complete) {
        ctx.finished = this.#condition(
          "SuccessCriteriaMet",
          "CompletionsReached",
          "Reached expected number of succeeded pods",
        );
      } else if (managed) {
        suspendChanged = this.#updateSuspendCondition(job, status);
      }
    }
    const needsUpdate =
      suspendChanged ||
      active !== (status.active ?? 0) ||
      ctx.ready !== status.ready ||
      ctx.terminating !== status.terminating;
    status.active = active;
    status.ready = ctx.ready;
    status.terminating = ctx.terminating;
    await this.#trackStatusAndRemoveFinalizers(ctx, needsUpdate);
    if (manageError) throw manageError;
  }

  /** Creates or deletes pods to run the Job's wanted number at once; returns the active count. */
  async #manageJob(ctx: SyncContext): Promise<{ active: number; error?: unknown }> {
    const { job, key } = ctx;
    const spec = specOf(job);
    let active = ctx.activePods.length;
    if (spec.suspend) {
      const doomed = activePodsForRemoval(job, ctx.activePods, active);
      this.#expectations.expect(key, 0, doomed.length);
      const { deleted, deletedReady, error } = await this.#deleteJobPods(ctx, doomed);
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      return { active: active - deleted, error };
    }
    const parallelism = spec.parallelism ?? 1;
    const completions = spec.completions;
    let wantActive: number;
    if (completions === undefined || completions === null) {
      // Once one pod succeeded, whatever still runs may finish, but nothing new starts.
      wantActive = ctx.succeeded > 0 ? active : parallelism;
    } else {
      wantActive = Math.max(0, Math.min(completions - ctx.succeeded, parallelism));
    }
    const doomed = activePodsForRemoval(
      job,
      ctx.activePods,
      Math.max(0, active - wantActive),
    ).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (doomed.length > 0) {
      this.#expectations.expect(key, 0, doomed.length);
      const { deleted, deletedReady, error } = await this.#deleteJobPods(ctx, doomed);
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      // Deleting and creating never happen in the same sync; deleting goes first.
      return { active: active - deleted, error };
    }
    const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
    let diff = Math.min(wantActive - terminating - active, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (diff <= 0) return { active };
    const wait = remainingBackoff(ctx.backoff, this.#now());
    if (wait > 0) {
      this.loop.queue.addAfter(key, wait);
      return { active };
    }
    let indexes: number[] = [];
    if (isIndexed(job)) {
      indexes = firstPendingIndexes(job, ctx.pods, ctx.succeededIndexes, diff);
      diff = indexes.length;
    }
    this.#expectations.expect(key, diff, 0);
    const template = structuredClone(spec.template ?? {});
    if (isIndexed(job)) addCompletionIndexEnv(template);
    template.metadata ??= {};
    const meta = template.metadata as { finalizers?: string[] };
    if (!meta.finalizers?.includes(JOB_TRACKING_FINALIZER)) {
      meta.finalizers = [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER];
    }
    active += diff;
    const errors: unknown[] = [];
    // Slow start: batches of 1, 2, 4… so a Job whose pods are all refused (quota, say)
    // sends one doomed request, not hundreds.
    for (let batch = Math.min(diff, 1); diff > 0; batch = Math.min(2 * batch, diff)) {
      const before = errors.length;
      const batchIndexes = indexes.splice(0, batch);
      await Promise.all(
        Array.from({ length: batch }, async (_, i) => {
          try {
            await this.#createPod(job, template, batchIndexes[i]);
          } catch (error) {
            this.#expectations.creationFailed(key);
            active--;
            errors.push(error);
          }
        }),
      );
      diff -= batch;
      if (errors.length > before && diff > 0) {
        for (let i = 0; i < diff; i++) this.#expectations.creationFailed(key);
        active -= diff;
        break;
      }
    }
    return { active, error: errors[0] };
  }

  async #createPod(job: KubeObject, template: JobSpec["template"], index: number | undefined) {
    const name = job.metadata?.name ?? "";
    const namespace = job.metadata?.namespace ?? "";
    const pod = podFromTemplate(
      template,
      job,
      index === undefined ? {} : { generateName: generateNameWithIndex(name, index) },
    );
    if (index !== undefined) {
      const meta = pod.metadata ?? {};
      meta.annotations = { ...meta.annotations, [COMPLETION_INDEX]: String(index) };
      meta.labels = { ...meta.labels, [COMPLETION_INDEX]: String(index) };
      const podSpec = (pod.spec ?? {}) as { hostname?: string };
      podSpec.hostname = `${name}-${index}`;
    }
    try {
      const created = await this.#client.create(
        resourcePath({ version: "v1", resource: "pods", namespace }),
        pod,
      );
      this.#events.event(
        job,
        "Normal",
        "SuccessfulCreate",
        `Created pod: ${created.metadata?.name}`,
      );
    } catch (error) {
      // A namespace being deleted refuses every pod, and the Job goes with it.
      if (isNamespaceTerminating(error)) return;
      const message = error instanceof Error ? error.message : String(error);
      this.#events.event(job, "Warning", "FailedCreate", `Error creating: ${message}`);
      throw error;
    }
  }

  /** Deletes pods of a running Job (scale-down, suspend), freeing them of the finalizer first. */
  async #deleteJobPods(ctx: SyncContext, pods: KubeObject[]) {
    let deleted = 0;
    let deletedReady = 0;
    const errors: unknown[] = [];
    await Promise.all(
      pods.map(async (pod) => {
        try {
          if (hasTrackingFinalizer(pod)) await this.#removeFinalizer(pod);
          await this.#deletePod(ctx.job, pod);
          deleted++;
          if (isPodReady(pod)) deletedReady++;
        } catch (error) {
          this.#expectations.deletionFailed(ctx.key);
          if (!isNotFound(error)) errors.push(error);
          else deleted++;
        }
      }),
    );
    return { deleted, deletedReady, error: errors[0] };
  }

  /** Deletes the active pods of a finishing Job; their finalizers go once they are counted. */
  async #deleteActivePods(job: KubeObject, pods: KubeObject[]) {
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          await this.#deletePod(job, pod);
        } catch (failure) {
          if (!isNotFound(failure)) {
            error ??= failure;
            return;
          }
        }
        deleted++;
        if (isPodReady(pod)) deletedReady++;
      }),
    );
    return { deleted, deletedReady, error };
  }

  async #deletePod(job: KubeObject, pod: KubeObject) {
    const { namespace, name } = pod.metadata ?? {};
    try {
      await this.#client.delete(resourcePath({ version: "v1", resource: "pods", namespace, name }));
      this.#events.event(job, "Normal", "SuccessfulDelete", `Deleted pod: ${name}`);
    } catch (error) {
      if (!isNotFound(error)) {
        const message = error instanceof Error ? error.message : String(error);
        this.#events.event(job, "Warning", "FailedDelete", `Error deleting: ${message}`);
      }
      throw error;
    }
  }

  async #removeFinalizer(pod: KubeObject): Promise<void> {
    const { namespace, name, uid } = pod.metadata ?? {};
    this.#finalizerRemovals.add(uid ?? "");
    try {
      await this.#client.patch(
        resourcePath({ version: "v1", resource: "pods", namespace, name }),
        { metadata: { "$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER] } },
        "strategic",
      );
    } catch (error) {
      // No update will come to show the removal.
      this.#finalizerRemovals.delete(uid ?? "");
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Counts finished pods in three steps that survive a crash at any point (upstream's
   * trackJobStatusAndRemoveFinalizers): write their UIDs to uncountedTerminatedPods,
   * remove their finalizers, then move the UIDs whose finalizer is gone into the
   * counters; and finish the Job when nothing is left uncounted or terminating.
   */
  async #trackStatusAndRemoveFinalizers(ctx: SyncContext, needsUpdate: boolean): Promise<void> {
    const { job, status } = ctx;
    const indexed = isIndexed(job);
    let flush = needsUpdate;
    const uncounted = status.uncountedTerminatedPods ?? {};
    status.uncountedTerminatedPods = uncounted;
    uncounted.succeeded = [...(uncounted.succeeded ?? [])];
    uncounted.failed = [...(uncounted.failed ?? [])];
    const withFinalizer = new Set(
      ctx.pods
        .filter((pod) => hasTrackingFinalizer(pod) && !this.#finalizerRemovals.has(uidOf(pod)))
        .map(uidOf),
    );
    if (countUncountedWithoutFinalizers(status, withFinalizer)) flush = true;
    const toFree: KubeObject[] = [];
    const newIndexes: number[] = [];
    let reachedMax = false;
    for (const pod of indexed ? [...ctx.pods].sort(byIndex) : ctx.pods) {
      const uid = uidOf(pod);
      if (!hasTrackingFinalizer(pod) || this.#finalizerRemovals.has(uid)) continue;
      const failed = isPodFailed(pod, job);
      const canFree =
        Boolean(job.metadata?.deletionTimestamp) ||
        ctx.finished !== undefined ||
        podPhase(pod) === "Succeeded" ||
        failed;
      if (!canFree) continue;
      toFree.push(pod);
      if (podPhase(pod) === "Succeeded" && !ctx.uncountedFailed.has(uid)) {
        if (indexed) {
          const index = validIndex(pod, job);
          if (index !== undefined && !ctx.prevSucceededIndexes.has(index)) {
            newIndexes.push(index);
            flush = true;
          }
        } else if (!ctx.uncountedSucceeded.has(uid)) {
          uncounted.succeeded.push(uid);
          flush = true;
        }
      } else if (failed || (ctx.finished && ctx.finished.type !== "SuccessCriteriaMet")) {
        // Once the Job has failed, every pod that did not succeed counts as failed.
        if (!ctx.uncountedFailed.has(uid) && (!indexed || validIndex(pod, job) !== undefined)) {
          uncounted.failed.push(uid);
          flush = true;
        }
      }
      if (
        newIndexes.length + uncounted.succeeded.length + uncounted.failed.length >=
        MAX_UNCOUNTED_PODS
      ) {
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      for (const index of newIndexes) ctx.succeededIndexes.add(index);
      const text = formatIndexes(ctx.succeededIndexes);
      if (text !== (status.completedIndexes ?? "")) flush = true;
      status.succeeded = ctx.succeededIndexes.size;
      status.completedIndexes = text;
    }
    if (ctx.finished?.type === "FailureTarget") {
      status.conditions = [...(status.conditions ?? []), ctx.finished];
      flush = true;
      ctx.finished = this.#condition("Failed", ctx.finished.reason, ctx.finished.message);
    }
    if (ctx.finished?.type === "SuccessCriteriaMet") {
      if (!findCondition(status, "SuccessCriteriaMet")) {
        status.conditions = [...(status.conditions ?? []), ctx.finished];
        flush = true;
      }
      ctx.finished = this.#condition("Complete", ctx.finished.reason, ctx.finished.message);
    }
    if (flush) {
      await this.#writeStatus(ctx);
      this.#backoff.set(ctx.key, ctx.backoff);
      flush = false;
    }
    let removalError: unknown;
    await Promise.all(
      toFree.map(async (pod) => {
        try {
          await this.#removeFinalizer(pod);
          withFinalizer.delete(uidOf(pod));
        } catch (error) {
          removalError ??= error;
        }
      }),
    );
    if (countUncountedWithoutFinalizers(status, withFinalizer)) flush = true;
    if (removalError) {
      if (flush) await this.#writeStatus(ctx);
      throw removalError;
    }
    const finished = !reachedMax && this.#enactFinished(ctx);
    if (finished) flush = true;
    if (!flush) return;
    await this.#writeStatus(ctx);
    if (finished && ctx.finished) this.#recordFinished(ctx.job, ctx.finished);
  }

  /** Adds the terminal condition once nothing is uncounted or still terminating. */
  #enactFinished(ctx: SyncContext): boolean {
    const { status, finished } = ctx;
    if (!finished) return false;
    const uncounted = status.uncountedTerminatedPods ?? {};
    if ((uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) > 0) return false;
    if (ctx.terminating > 0) return false;
    ensureCondition(status, finished);
    if (finished.type === "Complete") status.completionTime = finished.lastTransitionTime;
    return true;
  }

  #recordFinished(job: KubeObject, finished: JobCondition): void {
    if (finished.type === "Complete") {
      const completions = specOf(job).completions;
      if (typeof completions === "number" && (statusOf(job).succeeded ?? 0) > completions) {
        this.#events.event(
          job,
          "Warning",
          "TooManySucceededPods",
          "Too many succeeded pods running after completion count reached",
        );
      }
      this.#events.event(job, "Normal", "Completed", "Job completed");
    } else {
      this.#events.event(job, "Warning", finished.reason ?? "", finished.message ?? "");
    }
  }

  async #writeStatus(ctx: SyncContext): Promise<void> {
    const body = structuredClone(ctx.job);
    const status = body.status as JobStatus;
    // Go omits zero counters; an empty uncounted list is kept as `{}` like upstream.
    for (const field of ["active", "succeeded", "failed"] as const) {
      if (status[field] === 0) delete status[field];
    }
    const uncounted = status.uncountedTerminatedPods ?? {};
    if (uncounted.succeeded?.length === 0) delete uncounted.succeeded;
    if (uncounted.failed?.length === 0) delete uncounted.failed;
    const { namespace, name } = body.metadata ?? {};
    const written = await this.#client.updateStatus(
      resourcePath({ group: "batch", version: "v1", resource: "jobs", namespace, name }),
      body,
    );
    // The next write of this sync builds on this one.
    const meta = ctx.job.metadata ?? {};
    ctx.job.metadata = { ...meta, resourceVersion: written.metadata?.resourceVersion };
  }

  #updateSuspendCondition(job: KubeObject, status: JobStatus): boolean {
    if (specOf(job).suspend) {
      const changed = ensureCondition(
        status,
        this.#condition("Suspended", "JobSuspended", "Job suspended"),
      );
      if (changed) this.#events.event(job, "Normal", "Suspended", "Job suspended");
      return changed;
    }
    const changed = ensureCondition(status, {
      ...this.#condition("Suspended", "JobResumed", "Job resumed"),
      status: "False",
    });
    if (changed) {
      this.#events.event(job, "Normal", "Resumed", "Job resumed");
      // activeDeadlineSeconds counts continuous activity, so it starts over on resume.
      status.startTime = this.#timestamp();
    }
    return changed;
  }

  async #syncOrphanPod(podKey: string): Promise<void> {
    const pod = this.pods.store.get(podKey);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerOf(pod);
    if (ref) {
      // Not ours to touch.
      if (ref.kind !== "Job" || ref.apiVersion !== "batch/v1") return;
      const job = this.jobs.store.get(`${pod.metadata?.namespace}/${ref.name}`);
      if (job && job.metadata?.uid === ref.uid && !isFinished(job)) return;
    }
    await this.#removeFinalizer(pod);
  }

  #podDeleted(pod: KubeObject, final: boolean): void {
    const job = this.#jobOf(pod);
    if (!job || isFinished(job)) {
      // Nothing else will free this pod.
      if (hasTrackingFinalizer(pod) && !final) this.loop.enqueue(ORPHAN_POD + keyOf(pod));
      if (final) this.#finalizerRemovals.delete(uidOf(pod));
      return;
    }
    this.#expectations.deletionObserved(keyOf(job));
    if (final || !hasTrackingFinalizer(pod)) this.#finalizerRemovals.delete(uidOf(pod));
    this.loop.enqueue(keyOf(job));
  }

  #cleanUpPodFinalizers(job: KubeObject): void {
    for (const pod of this.pods.store.byIndex(BY_CONTROLLER, job.metadata?.uid ?? "")) {
      if (hasTrackingFinalizer(pod)) this.loop.enqueue(ORPHAN_POD + keyOf(pod));
    }
  }

  /** The Job controlling `pod`, if it is in the cache with the referenced UID. */
  #jobOf(pod: KubeObject): KubeObject | undefined {
    const ref = controllerOf(pod);
    if (ref?.kind !== "Job") return undefined;
    const job = this.jobs.store.get(`${pod.metadata?.namespace}/${ref.name}`);
    return job?.metadata?.uid === ref.uid ? job : undefined;
  }

  #pastActiveDeadline(job: KubeObject): boolean {
    const { activeDeadlineSeconds, suspend } = specOf(job);
    const start = Date.parse(statusOf(job).startTime ?? "");
    if (activeDeadlineSeconds === undefined || !start || suspend) return false;
    return this.#now() - start >= activeDeadlineSeconds * 1000;
  }

  #condition(type: string, reason = "", message = ""): JobCondition {
    const now = this.#timestamp();
    return { type, status: "True", lastProbeTime: now, lastTransitionTime: now, reason, message };
  }

  #timestamp(): string {
    return eventTimestamp(new Date(this.#now()));
  }
}

const keyOf = (object: KubeObject) => `${object.metadata?.namespace}/${object.metadata?.name}`;
const uidOf = (pod: KubeObject) => pod.metadata?.uid ?? "";
const statusOf = (job: KubeObject) => structuredClone((job.status ?? {}) as JobStatus);

/** Complete or Failed: the Job will not run pods again. */
export function isFinished(job: KubeObject): boolean {
  return ((job.status as JobStatus | undefined)?.conditions ?? []).some(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  );
}

function findCondition(status: JobStatus, type: string): JobCondition | undefined {
  return status.conditions?.find((c) => c.type === type && c.status === "True");
}

/** Sets a condition; a False one is only written over an existing one. True when changed. */
function ensureCondition(status: JobStatus, condition: JobCondition): boolean {
  const conditions = status.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === condition.type);
  const existing = conditions[i];
  if (existing) {
    if (
      existing.status === condition.status &&
      (existing.reason ?? "") === condition.reason &&
      (existing.message ?? "") === condition.message
    ) {
      return false;
    }
    conditions[i] = condition;
  } else if (condition.status !== "False") {
    conditions.push(condition);
  } else {
    return false;
  }
  status.conditions = conditions;
  return true;
}

/** Moves uncounted UIDs whose pods no longer hold the finalizer into the counters. */
function countUncountedWithoutFinalizers(status: JobStatus, withFinalizer: Set<string>): boolean {
  const uncounted = status.uncountedTerminatedPods ?? {};
  let changed = false;
  const succeeded = (uncounted.succeeded ?? []).filter((uid) => withFinalizer.has(uid));
  if (succeeded.length !== (uncounted.succeeded?.length ?? 0)) {
    status.succeeded =
      (status.succeeded ?? 0) + (uncounted.succeeded?.length ?? 0) - succeeded.length;
    uncounted.succeeded = succeeded;
    changed = true;
  }
  const failed = (uncounted.failed ?? []).filter((uid) => withFinalizer.has(uid));
  if (failed.length !== (uncounted.failed?.length ?? 0)) {
    status.failed = (status.failed ?? 0) + (uncounted.failed?.length ?? 0) - failed.length;
    uncounted.failed = failed;
    changed = true;
  }
  return changed;
}

/**
 * CronJob controller (upstream's cronjob-controller, the v2 one).
 * Reconciles: each CronJob starts a Job from its jobTemplate at its most recent
 * scheduled time not yet run, named `<cronjob>-<minutes since the epoch>` so one time
 * never runs twice, unless suspended, too late (startingDeadlineSeconds) or held back
 * by its concurrencyPolicy (Forbid skips, Replace deletes the running Jobs first);
 * keeps status.active, lastScheduleTime and lastSuccessfulTime, and deletes the
 * oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit.
 * Owns: the Jobs it creates (controller reference; the garbage collector deletes them
 * with the CronJob).
 * Watches: cronjobs, jobs; each CronJob is queued again for its next scheduled time.
 */
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import {
  nextActivation,
  parseCronSchedule,
  timeZoneProblem,
  zoneOffset,
} from "../resources/kinds/batch/cron-schedule.ts";
import { type ControllerClient, ControllerLoop, isAlreadyExists, isResync } from "./controller.ts";
import { EventRecorder, eventTimestamp } from "./events.ts";
import { isNamespaceTerminating } from "./namespace-terminating.ts";
import { BY_CONTROLLER, controllerOf, controllerRef, isControlledBy } from "./owners.ts";
import type { SharedInformers } from "./shared-informers.ts";

export const SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/** Requeue a little after the scheduled time, so the clock has certainly passed it. */
const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed times than this suggests a broken clock rather than downtime (upstream's 100). */
const MANY_MISSED = 100;

interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

interface CronJobSpec {
  schedule?: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: string;
  suspend?: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: Record<string, unknown>;
  };
}

interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

export interface CronJobControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number;
}

interface SyncResult {
  requeueAfter?: number;
  updateStatus: boolean;
  error?: unknown;
}

export class CronJobController {
  readonly cronJobs: Informer;
  readonly jobs: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #events: EventRecorder;
  readonly #now: () => number;

  constructor(options: CronJobControllerOptions) {
    this.#client = options.client;
    this.#now = options.now ?? Date.now;
    this.#events = new EventRecorder({
      client: options.client,
      component: "cronjob-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.cronJobs = options.informers.informer({
      path: resourcePath({ group: "batch", version: "v1", resource: "cronjobs" }),
    });
    this.jobs = options.informers.informer({
      path: resourcePath({ group: "batch", version: "v1", resource: "jobs" }),
    });
    const enqueue = (cronJob: KubeObject) =>
      this.loop.enqueue(`${cronJob.metadata?.namespace}/${cronJob.metadata?.name}`);
    const enqueueOwner = (job: KubeObject) => {
      const ref = controllerOf(job);
      if (ref?.kind === "CronJob") this.loop.enqueue(`${job.metadata?.namespace}/${ref.name}`);
    };
    this.cronJobs.addEventHandler({
      onAdd: enqueue,
      onUpdate: (old, cronJob) => {
        if (!isResync(old, cronJob)) enqueue(cronJob);
      },
    });
    this.jobs.addEventHandler({
      onAdd: enqueueOwner,
      onUpdate: (old, job) => {
        if (isResync(old, job)) return;
        if (controllerOf(old)?.uid !== controllerOf(job)?.uid) enqueueOwner(old);
        enqueueOwner(job);
      },
      onDelete: enqueueOwner,
    });
  }

  async sync(key: string): Promise<void> {
    const cached = this.cronJobs.store.get(key);
    if (!cached) return;
    const cronJob: KubeObject = {
      ...structuredClone(cached),
      apiVersion: "batch/v1",
      kind: "CronJob",
    };
    cronJob.status = { ...(cronJob.status as object) };
    const jobs = this.jobs.store
      .byIndex(BY_CONTROLLER, cached.metadata?.uid ?? "")
      .filter((job) => job.metadata?.namespace === cached.metadata?.namespace);
    const cleaned = await this.#cleanUpFinishedJobs(cronJob, jobs);
    const result = await this.#syncCronJob(cronJob, jobs);
    if (cleaned || result.updateStatus) {
      const { namespace, name } = cronJob.metadata ?? {};
      await this.#client.updateStatus(
        resourcePath({ group: "batch", version: "v1", resource: "cronjobs", namespace, name }),
        cronJob,
      );
    }
    if (result.error) throw result.error;
    if (result.requeueAfter !== undefined) this.loop.queue.addAfter(key, result.requeueAfter);
  }

  async #syncCronJob(cronJob: KubeObject, jobs: KubeObject[]): Promise<SyncResult> {
    const now = this.#now();
    const spec = specOf(cronJob);
    let status = cronJob.status as CronJobStatus;
    let updateStatus = false;
    const children = new Set<string>();
    for (const job of jobs) {
      const uid = job.metadata?.uid ?? "";
      children.add(uid);
      const found = isActive(status, uid);
      const finished = finishedCondition(job);
      if (!found && !finished) {
        // Our status may only be behind the Jobs we see: ask the API server.
        const fresh = await this.#client.get(pathOf(cronJob));
        if (isActive((fresh.status ?? {}) as CronJobStatus, uid)) {
          status = { ...(fresh.status as CronJobStatus) };
          cronJob.status = status;
          cronJob.metadata = {
            ...cronJob.metadata,
            resourceVersion: fresh.metadata?.resourceVersion,
          };
          continue;
        }
        this.#events.event(
          cronJob,
          "Warning",
          "UnexpectedJob",
          `Saw a job that the controller did not create or forgot: ${job.metadata?.name}`,
        );
      } else if (found && finished) {
        removeActive(status, uid);
        this.#events.event(
          cronJob,
          "Normal",
          "SawCompletedJob",
          `Saw completed job: ${job.metadata?.name}, condition: ${finished}`,
        );
        updateStatus = true;
      }
      if (finished === "Complete") {
        // A Job need not be active to count: any success moves lastSuccessfulTime on.
        const completed = (job.status as { completionTime?: string } | undefined)?.completionTime;
        if (completed && (!status.lastSuccessfulTime || completed > status.lastSuccessfulTime)) {
          status.lastSuccessfulTime = completed;
          updateStatus = true;
        }
      }
    }
    // An active Job that is gone would hold a Forbid CronJob back for ever.
    for (const ref of [...(status.active ?? [])]) {
      if (children.has(ref.uid ?? "")) continue;
      try {
        await this.#client.get(jobPath(ref.namespace ?? "", ref.name ?? ""));
      } catch (error) {
        if (!isNotFound(error)) return { updateStatus, error };
        this.#events.event(cronJob, "Normal", "MissingJob", `Active job went missing: ${ref.name}`);
        removeActive(status, ref.uid ?? "");
        updateStatus = true;
      }
    }
    if (cronJob.metadata?.deletionTimestamp) return { updateStatus };
    if (spec.timeZone !== undefined && spec.timeZone !== null) {
      const problem = timeZoneProblem(spec.timeZone);
      if (problem !== undefined) {
        this.#events.event(
          cronJob,
          "Warning",
          "UnknownTimeZone",
          `invalid timeZone: ${JSON.stringify(spec.timeZone)}: ${problem}`,
        );
        return { updateStatus };
      }
    }
    if (spec.suspend) return { updateStatus };
    const parsed = parseCronSchedule(spec.schedule ?? "");
    if ("error" in parsed) {
      this.#events.event(
        cronJob,
        "Warning",
        "UnparseableSchedule",
        `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${parsed.error}`,
      );
      return { updateStatus };
    }
    const schedule: NextActivation = (after) =>
      nextActivation(parsed.schedule, after, spec.timeZone ?? undefined);
    const recent = mostRecentScheduleTime(cronJob, now, schedule, true);
    if ("error" in recent) {
      this.#events.event(
        cronJob,
        "Warning",
        "InvalidSchedule",
        `invalid schedule: ${spec.schedule} : ${recent.error}`,
      );
      return { updateStatus };
    }
    const requeueAfter = nextScheduleDelay(cronJob, now, schedule);
    const scheduled = recent.mostRecent;
    if (scheduled === undefined || scheduled > now) return { requeueAfter, updateStatus };
    if (recent.missed > MANY_MISSED) {
      this.#events.event(
        cronJob,
        "Warning",
        "TooManyMissedTimes",
        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
      );
    }
    const deadline = spec.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
      this.#events.event(
        cronJob,
        "Warning",
        "MissSchedule",
        `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`,
      );
      return { requeueAfter, updateStatus };
    }
    const name = jobName(cronJob, scheduled);
    if (
      (status.active ?? []).some((ref) => ref.name === name) ||
      Date.parse(status.lastScheduleTime ?? "") === scheduled
    ) {
      return { requeueAfter, updateStatus };
    }
    if (spec.concurrencyPolicy === "Forbid" && (status.active ?? []).length > 0) {
      // The active list may lag behind a Job just started: Forbid is best effort.
      this.#events.event(
        cronJob,
        "Normal",
        "JobAlreadyActive",
        "Not starting job because prior execution is running and concurrency policy is Forbid",
      );
      return { requeueAfter, updateStatus };
    }
    if (spec.concurrencyPolicy === "Replace") {
      for (const ref of [...(status.active ?? [])]) {
        let job: KubeObject;
        try {
          job = await this.#client.get(jobPath(ref.namespace ?? "", ref.name ?? ""));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.#events.event(cronJob, "Warning", "FailedGet", `Get job: ${message}`);
          return { updateStatus, error };
        }
        if (!(await this.#deleteJob(cronJob, job))) {
          const error = new Error(`could not replace job ${ref.namespace}/${ref.name}`);
          return { updateStatus, error };
        }
        updateStatus = true;
      }
    }
    let created: KubeObject;
    try {
      created = await this.#client.create(
        resourcePath({
          group: "batch",
          version: "v1",
          resource: "jobs",
          namespace: cronJob.metadata?.namespace,
        }),
        jobFromTemplate(cronJob, scheduled),
      );
      this.#events.event(cronJob, "Normal", "SuccessfulCreate", `Created job ${name}`);
    } catch (error) {
      if (isNamespaceTerminating(error)) return { updateStatus, error };
      if (!isAlreadyExists(error)) {
        const message = error instanceof Error ? error.message : String(error);
        this.#events.event(cronJob, "Warning", "FailedCreate", `Error creating job: ${message}`);
        return { updateStatus, error };
      }
      // Created earlier, but the status write that should have followed was lost.
      try {
        created = await this.#client.get(jobPath(cronJob.metadata?.namespace ?? "", name));
      } catch (failure) {
        return { updateStatus, error: failure };
      }
      if (!isControlledBy(created, cronJob) || isActive(status, created.metadata?.uid ?? "")) {
        return { updateStatus };
      }
    }
    const meta = created.metadata ?? {};
    status.active = [
      ...(status.active ?? []),
      {
        kind: "Job",
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        apiVersion: "batch/v1",
        resourceVersion: meta.resourceVersion,
      },
    ];
    status.lastScheduleTime = eventTimestamp(new Date(scheduled));
    return { requeueAfter, updateStatus: true };
  }

  /** Deletes the oldest finished Jobs beyond the history limits; true when status changed. */
  async #cleanUpFinishedJobs(cronJob: KubeObject, jobs: KubeObject[]): Promise<boolean> {
    const spec = specOf(cronJob);
    const successful = jobs.filter((job) => finishedCondition(job) === "Complete");
    const failed = jobs.filter((job) => finishedCondition(job) === "Failed");
    let changed = false;
    for (const [list, limit] of [
      [successful, spec.successfulJobsHistoryLimit],
      [failed, spec.failedJobsHistoryLimit],
    ] as const) {
      if (limit === undefined || limit === null || list.length <= limit) continue;
      const oldest = [...list].sort(byStartTime).slice(0, list.length - limit);
      for (const job of oldest) {
        if (await this.#deleteJob(cronJob, job)) changed = true;
      }
    }
    return changed;
  }

  /** Deletes a Job with its pods and drops it from the active list. */
  async #deleteJob(cronJob: KubeObject, job: KubeObject): Promise<boolean> {
    const { namespace = "", name = "" } = job.metadata ?? {};
    try {
      await this.#client.delete(jobPath(namespace, name), { propagationPolicy: "Background" });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#events.event(cronJob, "Warning", "FailedDelete", `Deleted job: ${message}`);
      return false;
    }
    removeActive(cronJob.status as CronJobStatus, job.metadata?.uid ?? "");
    this.#events.event(cronJob, "Normal", "SuccessfulDelete", `Deleted job ${name}`);
    return true;
  }
}

const specOf = (cronJob: KubeObject) => (cronJob.spec ?? {}) as CronJobSpec;
const pathOf = (cronJob: KubeObject) =>
  resourcePath({
    group: "batch",
    version: "v1",
    resource: "cronjobs",
    namespace: cronJob.metadata?.namespace,
    name: cronJob.metadata?.name,
  });
const jobPath = (namespace: string, name: string) =>
  resourcePath({ group: "batch", version: "v1", resource: "jobs", namespace, name });

function isActive(status: CronJobStatus, uid: string): boolean {
  return (status.active ?? []).some((ref) => ref.uid === uid);
}

function removeActive(status: CronJobStatus, uid: string): void {
  status.active = (status.active ?? []).filter((ref) => ref.uid !== uid);
}

/** "Complete" or "Failed" once the Job has finished. */
function finishedCondition(job: KubeObject): "Complete" | "Failed" | undefined {
  const conditions = (job.status as { conditions?: { type?: string; status?: string }[] })
    ?.conditions;
  const finished = conditions?.find(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  );
  return finished?.type as "Complete" | "Failed" | undefined;
}

/** Oldest start first; Jobs that never started last; ties by name. */
function byStartTime(a: KubeObject, b: KubeObject): number {
  const start = (job: KubeObject) => (job.status as { startTime?: string } | undefined)?.startTime;
  const sa = start(a);
  const sb = start(b);
  if (!sa && sb) return 1;
  if (sa && !sb) return -1;
  if (sa === sb) return (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
  return Date.parse(sa ?? "") - Date.parse(sb ?? "");
}

/** The name of the Job for one scheduled time: the same time always gives the same name. */
export function jobName(cronJob: KubeObject, scheduled: number): string {
  return `${cronJob.metadata?.name}-${Math.floor(scheduled / 60_000)}`;
}

/** The Job a CronJob runs at `scheduled`: its template's labels, annotations and spec. */
export function jobFromTemplate(cronJob: KubeObject, scheduled: number): KubeObject {
  const template = specOf(cronJob).jobTemplate ?? {};
  const timeZone = specOf(cronJob).timeZone || "UTC";
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(cronJob, scheduled),
      namespace: cronJob.metadata?.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: {
        ...(template.metadata?.annotations ?? {}),
        [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339InZone(scheduled, timeZone),
      },
      ownerReferences: [controllerRef(cronJob)],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** A schedule's next activation after a time (robfig's Schedule.Next). */
export type NextActivation = (after: number) => number | undefined;

type MostRecent =
  | { earliest: number; mostRecent?: number; missed: number }
  | { earliest: number; error: string };

/**
 * The latest scheduled time not after `now` since the last one run (or since the
 * CronJob was created, or since the starting deadline), and roughly how many were
 * missed (upstream's mostRecentScheduleTime, including its estimate).
 */
export function mostRecentScheduleTime(
  cronJob: KubeObject,
  now: number,
  next: NextActivation,
  includeStartingDeadline: boolean,
): MostRecent {
  const status = (cronJob.status ?? {}) as CronJobStatus;
  let earliest =
    Date.parse(status.lastScheduleTime ?? "") ||
    Date.parse(cronJob.metadata?.creationTimestamp ?? "") ||
    now;
  const deadline = specOf(cronJob).startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined && deadline !== null) {
    earliest = Math.max(earliest, now - deadline * 1000);
  }
  const t1 = next(earliest);
  const t2 = t1 === undefined ? undefined : next(t1);
  if (t1 === undefined || t2 === undefined) {
    return { earliest, error: "time difference between two schedules is less than 1 second" };
  }
  if (now < t1) return { earliest, missed: 0 };
  if (now < t2) return { earliest, mostRecent: t1, missed: 0 };
  const interval = Math.round((t2 - t1) / 1000);
  if (interval < 1) {
    return { earliest, error: "time difference between two schedules is less than 1 second" };
  }
  const missed = Math.floor(Math.floor((now - t1) / 1000) / interval) + 1;
  let mostRecent: number | undefined;
  const start = t1 + (missed - 2) * interval * 1000;
  for (let t = next(start); t !== undefined && t <= now; t = next(t)) {
    mostRecent = t;
  }
  return mostRecent === undefined ? { earliest, missed } : { earliest, mostRecent, missed };
}

/** Milliseconds until the next scheduled time after the most recent one (upstream's). */
function nextScheduleDelay(cronJob: KubeObject, now: number, next: NextActivation): number {
  const recent = mostRecentScheduleTime(cronJob, now, next, false);
  let from: number;
  if ("error" in recent) from = now;
  else if (recent.mostRecent !== undefined) from = recent.mostRecent;
  else from = recent.missed === 0 ? recent.earliest : now;
  const at = next(from) ?? now + 24 * 3600 * 1000;
  return at + NEXT_SCHEDULE_DELTA_MS - now;
}

/** Go's RFC1123Z in UTC, as the MissSchedule event prints the time. */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

/** RFC 3339 in a time zone (Z for UTC), as Go's Format(time.RFC3339) after In(zone). */
function rfc3339InZone(ms: number, timeZone: string): string {
  const offset = zoneOffset(ms, timeZone);
  if (offset === 0) return eventTimestamp(new Date(ms));
  const local = new Date(ms + offset).toISOString().replace(/\.\d+Z$/, "");
  const minutes = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? "-" : "+";
  const pad = (n: number) => String(Math.floor(n)).padStart(2, "0");
  return `${local}${sign}${pad(minutes / 60)}:${pad(minutes % 60)}`;
}

/**
 * TTL-after-finished controller (upstream's ttl-after-finished-controller).
 * Reconciles: a finished Job with spec.ttlSecondsAfterFinished is deleted, with its
 * pods, that many seconds after it finished (the lastTransitionTime of its Complete
 * or Failed condition). Like upstream it deletes in the foreground, with the Job's
 * UID as precondition, after re-reading the Job from the API server, since the TTL
 * in the cache may be stale.
 * Watches: jobs; a Job whose time has not come is queued again for then.
 */
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import type { SharedInformers } from "./shared-informers.ts";

export interface TtlAfterFinishedOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number;
}

interface JobCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string;
}

export class TtlAfterFinishedController {
  readonly jobs: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(options: TtlAfterFinishedOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.jobs = options.informers.informer({
      path: resourcePath({ group: "batch", version: "v1", resource: "jobs" }),
    });
    const enqueue = (job: KubeObject) => {
      if (needsCleanup(job)) this.loop.enqueue(`${job.metadata?.namespace}/${job.metadata?.name}`);
    };
    this.jobs.addEventHandler({
      onAdd: enqueue,
      onUpdate: (old, job) => {
        if (!isResync(old, job)) enqueue(job);
      },
    });
  }

  async sync(key: string): Promise<void> {
    const job = this.jobs.store.get(key);
    if (!job || !this.#expired(key, job)) return;
    const [namespace = "", name = ""] = key.split("/");
    const path = resourcePath({ group: "batch", version: "v1", resource: "jobs", namespace, name });
    let fresh: KubeObject;
    try {
      fresh = await this.#client.get(path);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    if (!this.#expired(key, fresh)) return;
    this.#log.info("cleaning up job", { job: key });
    try {
      await this.#client.delete(path, {
        propagationPolicy: "Foreground",
        preconditions: { uid: fresh.metadata?.uid ?? "" },
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** True once the Job's TTL has run out; otherwise queues it for when it will. */
  #expired(key: string, job: KubeObject): boolean {
    if (job.metadata?.deletionTimestamp || !needsCleanup(job)) return false;
    const finishedAt = finishTime(job);
    if (finishedAt === undefined) {
      throw new Error(`unable to find the time when the Job ${key} finished`);
    }
    const ttl = (job.spec as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished ?? 0;
    const left = finishedAt + ttl * 1000 - this.#now();
    if (left <= 0) return true;
    this.loop.queue.addAfter(key, left);
    return false;
  }
}

/** A finished Job with a TTL set. */
function needsCleanup(job: KubeObject): boolean {
  const ttl = (job.spec as { ttlSecondsAfterFinished?: number } | undefined)
    ?.ttlSecondsAfterFinished;
  return ttl !== undefined && ttl !== null && finishedCondition(job) !== undefined;
}

function finishedCondition(job: KubeObject): JobCondition | undefined {
  const conditions = (job.status as { conditions?: JobCondition[] } | undefined)?.conditions;
  return conditions?.find(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  );
}

function finishTime(job: KubeObject): number | undefined {
  const time = Date.parse(finishedCondition(job)?.lastTransitionTime ?? "");
  return Number.isNaN(time) ? undefined : time;
}

import type { ObjectReader } from "../../auth/types.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { parseQuantity } from "../../resources/quantity/quantity.ts";
import { quotaUsage } from "../admission/resource-quota.ts";
import { StatusError } from "../errors/status-error.ts";
import { PeriodicTask } from "./periodic-task.ts";

const intervalMs = 2000;
const QUOTAS = { group: "", resource: "resourcequotas" };

/**
 * The resource quota controller's recount: writes each quota's status.hard and
 * the usage measured from the caches into status.used, so that deletions free
 * quota and new quotas start from what exists. Admission charges usage as it
 * admits; a recount may only lower a quota whose status has not changed for two
 * rounds, so it never undoes a charge whose object is still being written.
 * Runs inside the API server until the controller manager takes it over.
 */
export class QuotaRecount {
  private readonly task: PeriodicTask;
  /** resourceVersion of each quota's status as last seen, and for how many rounds. */
  private readonly seen = new Map<string, { version: string; rounds: number }>();

  constructor(
    private readonly reader: ObjectReader,
    private readonly writeStatus: (quota: KubeObject) => Promise<unknown>,
    private readonly log: Logger,
    runIf?: () => boolean,
  ) {
    this.task = new PeriodicTask(() => this.sweep(), intervalMs, log, "quota recount", runIf);
  }

  start(): void {
    this.task.start();
    this.task.kick();
  }

  stop(): void {
    this.task.stop();
  }

  private async sweep(): Promise<void> {
    const live = new Set<string>();
    for (const quota of this.reader.list(QUOTAS)) {
      const key = `${quota.metadata?.namespace}/${quota.metadata?.name}`;
      live.add(key);
      const version = quota.metadata?.resourceVersion ?? "";
      const previous = this.seen.get(key);
      const rounds = previous?.version === version ? previous.rounds + 1 : 0;
      this.seen.set(key, { version, rounds });
      await this.reconcile(quota, rounds >= 2);
    }
    for (const key of this.seen.keys()) if (!live.has(key)) this.seen.delete(key);
  }

  private async reconcile(quota: KubeObject, settled: boolean): Promise<void> {
    const hard = ((quota.spec ?? {}) as { hard?: Record<string, string> }).hard ?? {};
    const status = (quota.status ?? {}) as {
      hard?: Record<string, string>;
      used?: Record<string, string>;
    };
    const current = status.used ?? {};
    const used: Record<string, string> = {};
    for (const [name, measured] of Object.entries(quotaUsage(quota, this.reader))) {
      const charged = current[name];
      // A lower count may be a charge whose object is not written yet: wait until settled.
      used[name] =
        charged !== undefined && !settled && compare(measured, charged) < 0 ? charged : measured;
    }
    const unchanged =
      JSON.stringify(status.hard ?? {}) === JSON.stringify(hard) &&
      Object.entries(used).every(([name, value]) => current[name] === value);
    if (unchanged) return;
    const next = structuredClone(quota);
    next.status = { hard, used };
    try {
      await this.writeStatus(next);
    } catch (error) {
      // Someone charged it meanwhile: the next round looks again.
      if (error instanceof StatusError && (error.code === 409 || error.code === 404)) return;
      throw error;
    }
    this.log.debug("recounted quota", { quota: quota.metadata?.name, used });
  }
}

function compare(a: string, b: string): number {
  try {
    return parseQuantity(a).cmp(parseQuantity(b));
  } catch {
    return a === b ? 0 : 1;
  }
}

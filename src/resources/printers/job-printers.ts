/** Jobs and CronJobs (batch/v1). */
import type { KubeObject } from "../kind.ts";
import type { MetaV1LabelSelector } from "../labels/label-selector.ts";
import { type ContainerLike, containerCells } from "./container-cells.ts";
import { humanDuration } from "./human-duration.ts";
import { formatLabelSelector } from "./label-cells.ts";
import { ageOf, isDeleting, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, containersColumn, imagesColumn, nameColumn } from "./table-column.ts";
import { parseTimestamp, timestampSince } from "./timestamp-since.ts";

interface JobSpec {
  completions?: number | null;
  parallelism?: number | null;
  selector?: MetaV1LabelSelector | null;
  template?: { spec?: { containers?: ContainerLike[] | null } | null } | null;
}

interface Job {
  spec?: JobSpec | null;
  status?: {
    conditions?: { type?: string; status?: string }[] | null;
    startTime?: string | null;
    completionTime?: string | null;
    succeeded?: number;
  } | null;
}

interface CronJob {
  spec?: {
    schedule?: string;
    timeZone?: string | null;
    suspend?: boolean | null;
    jobTemplate?: { spec?: JobSpec | null } | null;
  } | null;
  status?: { active?: unknown[] | null; lastScheduleTime?: string | null } | null;
}

const jobColumns = [
  nameColumn,
  column("Status", "Status of the job."),
  column(
    "Completions",
    "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.",
  ),
  column("Duration", "Time required to complete the job."),
  ageColumn,
  containersColumn(),
  imagesColumn(),
  column(
    "Selector",
    "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    { priority: 1 },
  ),
];

const cronJobColumns = [
  nameColumn,
  column("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
  column(
    "Timezone",
    "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones",
  ),
  column(
    "Suspend",
    "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.",
    { type: "boolean" },
  ),
  column("Active", "A list of pointers to currently running jobs.", { type: "integer" }),
  column("Last Schedule", "Information when was the last time the job was successfully scheduled."),
  ageColumn,
  containersColumn(),
  imagesColumn(),
  column(
    "Selector",
    "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    { priority: 1 },
  ),
];

/** Whether the first condition of a type is True (later duplicates are ignored upstream too). */
function hasCondition(job: Job, type: string): boolean {
  return job.status?.conditions?.find((c) => c.type === type)?.status === "True";
}

/** STATUS: the first that applies of Complete, Failed, Terminating, Suspended, FailureTarget, Running. */
function jobStatus(object: KubeObject, job: Job): string {
  if (hasCondition(job, "Complete")) return "Complete";
  if (hasCondition(job, "Failed")) return "Failed";
  if (isDeleting(object)) return "Terminating";
  if (hasCondition(job, "Suspended")) return "Suspended";
  if (hasCondition(job, "FailureTarget")) return "FailureTarget";
  return "Running";
}

/**
 * COMPLETIONS: "succeeded/completions"; a job without a completion count finishes with
 * its first success, which reads "0/1", or "0/1 of 3" when several pods run in parallel.
 */
function completions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const wanted = job.spec?.completions;
  if (wanted !== undefined && wanted !== null) return `${succeeded}/${wanted}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** DURATION: start to completion, or start to now while running; empty before it starts. */
function duration(job: Job, now: Date): string {
  const start = parseTimestamp(job.status?.startTime);
  if (start === undefined) return "";
  const end = parseTimestamp(job.status?.completionTime) ?? now.getTime();
  return humanDuration(end - start);
}

/** upstream printBoolPtr: a boolean column that prints text, "<unset>" for a missing value. */
function boolText(value: boolean | null | undefined): string {
  if (value === undefined || value === null) return "<unset>";
  return value ? "True" : "False";
}

export const jobPrinters: PrinterSet = {
  "jobs.batch": {
    columns: jobColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const job = object as Job;
      const [names, images] = containerCells(job.spec?.template?.spec?.containers);
      return [
        nameOf(object),
        jobStatus(object, job),
        completions(job),
        duration(job, now),
        ageOf(object, now),
        names,
        images,
        formatLabelSelector(job.spec?.selector),
      ];
    },
  },
  "cronjobs.batch": {
    columns: cronJobColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const { spec, status } = object as CronJob;
      const jobSpec = spec?.jobTemplate?.spec;
      const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
      const lastSchedule = status?.lastScheduleTime;
      return [
        nameOf(object),
        spec?.schedule ?? "",
        spec?.timeZone ?? "<none>",
        boolText(spec?.suspend),
        (status?.active ?? []).length,
        lastSchedule === undefined || lastSchedule === null
          ? "<none>"
          : timestampSince(lastSchedule, now),
        ageOf(object, now),
        names,
        images,
        formatLabelSelector(jobSpec?.selector),
      ];
    },
  },
};

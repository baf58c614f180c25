/**
 * batch/v1 CronJob: defaults as upstream's SetDefaults_CronJob, the status strategy, and
 * upstream's validation (`pkg/apis/batch/validation`, `pkg/registry/batch/cronjob`).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { DNS1035_LABEL_MAX_LENGTH } from "../../validation/dns-name.ts";
import { type FieldError, invalid, notSupported, required } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { validateNonnegative } from "../apps/workload-validation.ts";
import { ensureRecord, type JsonRecord, recordOf, stringOf } from "../core/json-value.ts";
import { defaultPodTemplateSpec } from "../core/pod-spec-defaults.ts";
import { parseCronSchedule, timeZoneProblem } from "./cron-schedule.ts";
import { validateJobSpecFields } from "./job.validation.ts";

/** The controller names each Job `<cronjob>-<minutes since epoch>`: 11 more characters. */
const maxCronJobNameLength = DNS1035_LABEL_MAX_LENGTH - 11;

export const cronJobKind: KindDefinition = {
  group: "batch",
  version: "v1",
  kind: "CronJob",
  resource: "cronjobs",
  singular: "cronjob",
  namespaced: true,
  shortNames: ["cj"],
  categories: ["all"],
  schemaRef: "batch/v1.CronJob",
  hasStatus: true,
  subresources: ["status"],
  tracksGeneration: true,

  defaults: defaultCronJob,
  prepareForCreate(object) {
    object.status = {};
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validateCronJob(object),
};

/**
 * Runs may overlap, the schedule is active, and the last three successful and last failed
 * Jobs are kept for inspection. The Jobs' pod template gets pod defaults; the job spec
 * itself is defaulted when each Job is created.
 */
export function defaultCronJob(object: KubeObject): void {
  const spec = ensureRecord(object, "spec");
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = "Allow";
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  defaultPodTemplateSpec(recordOf(recordOf(spec.jobTemplate)?.spec)?.template);
}

export function validateCronJob(object: KubeObject): FieldError[] {
  const meta = object.metadata ?? {};
  const errors = validateObjectMeta(meta, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  errors.push(...validateCronJobSpec(recordOf(object.spec) ?? {}, fieldPath("spec")));
  // Upstream checks the length on create only, so that older CronJobs with longer names can
  // still be updated; every CronJob here was created through this check, so it is kept on
  // both paths rather than guessing which one runs.
  const name = meta.name ?? "";
  if (name.length > maxCronJobNameLength) {
    errors.push(
      invalid(
        fieldPath("metadata", "name"),
        name,
        `must be no more than ${maxCronJobNameLength} characters`,
      ),
    );
  }
  return errors;
}

/**
 * Upstream relaxes two checks on update for objects stored by older servers: a schedule
 * that already used a TZ= prefix may keep it, and an unchanged timeZone is not re-checked.
 * Nothing stored here ever passed without these checks, so they apply to every write.
 */
function validateCronJobSpec(spec: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const schedule = stringOf(spec.schedule);
  if (schedule === "") {
    errors.push(required(path.child("schedule"), ""));
  } else {
    errors.push(...validateSchedule(schedule, path.child("schedule")));
  }
  errors.push(
    ...validateNonnegative(spec.startingDeadlineSeconds, path.child("startingDeadlineSeconds")),
  );
  errors.push(...validateTimeZone(spec.timeZone, path.child("timeZone")));
  const policy = stringOf(spec.concurrencyPolicy);
  const policies = ["Allow", "Forbid", "Replace"];
  if (policy === "") errors.push(required(path.child("concurrencyPolicy"), ""));
  else if (!policies.includes(policy)) {
    errors.push(notSupported(path.child("concurrencyPolicy"), policy, policies));
  }
  errors.push(...validateJobTemplate(recordOf(spec.jobTemplate) ?? {}, path.child("jobTemplate")));
  for (const field of ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
    errors.push(...validateNonnegative(spec[field], path.child(field)));
  }
  return errors;
}

function validateSchedule(schedule: string, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const parsed = parseCronSchedule(schedule);
  if ("error" in parsed) errors.push(invalid(path, schedule, parsed.error));
  // The timeZone field replaced zone prefixes in the schedule.
  if (schedule.includes("TZ")) {
    errors.push(
      invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
    );
  }
  return errors;
}

/** IANA naming rules for each path component; digits and "+" are tolerated for legacy names. */
const timeZoneComponent = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(value: unknown, path: FieldPath): FieldError[] {
  if (value === undefined || value === null) return [];
  const timeZone = stringOf(value);
  if (timeZone === "") {
    return [invalid(path, timeZone, "timeZone must be nil or non-empty string")];
  }
  for (const part of timeZone.split("/")) {
    if (part === "." || part === ".." || part.startsWith("-") || !timeZoneComponent.test(part)) {
      return [invalid(path, timeZone, `unknown time zone ${timeZone}`)];
    }
  }
  const errors: FieldError[] = [];
  if (timeZone.toLowerCase() === "local") {
    errors.push(
      invalid(
        path,
        timeZone,
        "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
      ),
    );
  }
  const problem = timeZoneProblem(timeZone);
  if (problem !== undefined) errors.push(invalid(path, timeZone, problem));
  return errors;
}

/** The Jobs are created with generated selectors, so the template may not bring its own. */
function validateJobTemplate(template: JsonRecord, path: FieldPath): FieldError[] {
  const spec = recordOf(template.spec) ?? {};
  const specPath = path.child("spec");
  const errors = validateJobSpecFields(spec, specPath);
  if (spec.selector != null) {
    errors.push(
      invalid(specPath.child("selector"), spec.selector, "`selector` will be auto-generated"),
    );
  }
  if (spec.manualSelector === true) {
    errors.push(notSupported(specPath.child("manualSelector"), true, ["nil", "false"]));
  }
  return errors;
}

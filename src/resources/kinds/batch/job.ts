/**
 * batch/v1 Job: defaults as upstream's SetDefaults_Job, the selector and pod labels the
 * strategy generates from the Job's uid, the status strategy, and validation in
 * job.validation.ts.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { ensureRecord, recordOf } from "../core/json-value.ts";
import { defaultPodTemplateSpec } from "../core/pod-spec-defaults.ts";
import { validateJob, validateJobUpdate } from "./job.validation.ts";
import {
  CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
} from "./job-labels.ts";

export const jobKind: KindDefinition = {
  group: "batch",
  version: "v1",
  kind: "Job",
  resource: "jobs",
  singular: "job",
  namespaced: true,
  categories: ["all"],
  schemaRef: "batch/v1.Job",
  hasStatus: true,
  subresources: ["status"],
  tracksGeneration: true,

  defaults: defaultJob,
  prepareForCreate(object) {
    // The registry has assigned name and uid by now, so the generated labels are final.
    if (recordOf(object.spec)?.manualSelector !== true) generateSelector(object);
    object.status = {};
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validateJob(object),
  validateUpdate: (object, old) => validateJobUpdate(object, old),
  selectableFields: (object) => ({
    "status.successful": String(recordOf(object.status)?.succeeded ?? 0),
  }),
};

/**
 * A Job with neither completions nor parallelism runs one pod to completion; it retries
 * failed pods six times. The Job's own labels default to its template's (which include the
 * generated ones), so `kubectl get jobs -l job-name=x` finds it.
 */
export function defaultJob(object: KubeObject): void {
  const spec = ensureRecord(object, "spec");
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  // With a per-index limit the global limit would only get in the way, so it is disabled.
  spec.backoffLimit ??= spec.backoffLimitPerIndex == null ? 6 : 2147483647;
  const templateLabels = recordOf(recordOf(spec.template)?.metadata)?.labels;
  const metadata = object.metadata ?? {};
  object.metadata = metadata;
  if (recordOf(templateLabels) !== undefined && Object.keys(metadata.labels ?? {}).length === 0) {
    metadata.labels = structuredClone(templateLabels as Record<string, string>);
  }
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  const podFailurePolicy = recordOf(spec.podFailurePolicy);
  for (const rule of Array.isArray(podFailurePolicy?.rules) ? podFailurePolicy.rules : []) {
    const patterns = recordOf(rule)?.onPodConditions;
    for (const pattern of Array.isArray(patterns) ? patterns : []) {
      const record = recordOf(pattern);
      if (record !== undefined && !record.status) record.status = "True";
    }
  }
  // Replacement waits for the old pod to be gone when a failure policy may inspect it.
  spec.podReplacementPolicy ??= podFailurePolicy === undefined ? "TerminatingOrFailed" : "Failed";
  spec.manualSelector ??= false;
  defaultPodTemplateSpec(spec.template);
}

/**
 * Labels the pod template with the Job's name and uid and selects on the uid, so the
 * Job's pods can never be confused with another Job's. Labels the user already set are
 * left alone; validation then rejects them if they conflict.
 */
export function generateSelector(object: KubeObject): void {
  const name = object.metadata?.name ?? "";
  const uid = object.metadata?.uid ?? "";
  const spec = ensureRecord(object, "spec");
  const labels = ensureRecord(ensureRecord(ensureRecord(spec, "template"), "metadata"), "labels");
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) labels[key] ??= name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) labels[key] ??= uid;
  const matchLabels = ensureRecord(ensureRecord(spec, "selector"), "matchLabels");
  matchLabels[CONTROLLER_UID_LABEL] ??= uid;
}

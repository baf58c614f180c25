/**
 * Job validation with upstream's paths and messages (`pkg/apis/batch/validation`,
 * `pkg/registry/batch/job/strategy.go`). `validateJobSpecFields` is shared with CronJob's
 * job template.
 */
import type { KubeObject } from "../../kind.ts";
import { LabelSelector } from "../../labels/label-selector.ts";
import { validateLabelSelector } from "../../labels/label-selector-validation.ts";
import { isDNS1123Label } from "../../validation/dns-name.ts";
import {
  type FieldError,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { semanticEqual, validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import {
  convertSelector,
  SELECTOR_MISMATCH_MESSAGE,
  selectorOf,
  sortedMap,
  validateNonnegative,
} from "../apps/workload-validation.ts";
import { type JsonRecord, recordOf, stringMap, stringOf } from "../core/json-value.ts";
import { validatePodTemplateSpec } from "../core/pod-spec.validation.ts";
import { validateDomainPrefixedPath } from "../networking/domain-prefixed-path.ts";
import {
  CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
} from "./job-labels.ts";
import { validatePodFailurePolicy, validateSuccessPolicy } from "./job-policies.validation.ts";

/** Caps that keep `status.completedIndexes` and `status.failedIndexes` a bounded size. */
const maxParallelismForIndexedJob = 100_000;
const maxFailedIndexesForIndexedJob = 100_000;
const completionsSoftLimit = 100_000;
const parallelismLimitForHighCompletions = 10_000;
const maxFailedIndexesLimitForHighCompletions = 10_000;
const maxManagedByLength = 63;

export function validateJob(object: KubeObject): FieldError[] {
  const meta = object.metadata ?? {};
  const errors = validateObjectMeta(meta, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  errors.push(...validateGeneratedSelector(object, spec));
  errors.push(...validateJobSpec(spec, fieldPath("spec")));
  const completions = spec.completions;
  if (spec.completionMode === "Indexed" && typeof completions === "number" && completions > 0) {
    // Indexed pods are named `<job>-<index>` and use that as hostname, so the largest
    // index must still give a DNS label.
    const hostname = `${meta.name ?? ""}-${completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errors.push(
        invalid(
          fieldPath("metadata", "name"),
          meta.name ?? "",
          `will not able to create pod with invalid DNS label: ${hostname}`,
        ),
      );
    }
  }
  return errors;
}

/**
 * With a generated selector the template must carry the labels the strategy wrote, with
 * this Job's name and uid, and the selector must select exactly those.
 */
function validateGeneratedSelector(object: KubeObject, spec: JsonRecord): FieldError[] {
  if (spec.manualSelector === true) return [];
  const selector = selectorOf(spec.selector);
  if (selector === undefined) return [];
  const errors: FieldError[] = [];
  const uid = object.metadata?.uid ?? "";
  const name = object.metadata?.name ?? "";
  if (uid === "") errors.push(required(fieldPath("metadata", "uid"), ""));
  const metadataPath = fieldPath("spec", "template", "metadata");
  const labels = stringMap(recordOf(recordOf(spec.template)?.metadata)?.labels);
  const expected: Record<string, string> = {
    [LEGACY_CONTROLLER_UID_LABEL]: uid,
    [LEGACY_JOB_NAME_LABEL]: name,
    [CONTROLLER_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: name,
  };
  for (const [key, value] of Object.entries(expected)) {
    errors.push(...validateHasLabel(labels, metadataPath, key, value));
  }
  const converted = convertSelector(selector);
  if (converted !== undefined && !converted.matches(expected)) {
    errors.push(invalid(fieldPath("spec", "selector"), selector, "`selector` not auto-generated"));
  }
  return errors;
}

function validateHasLabel(
  labels: Record<string, string>,
  metadataPath: FieldPath,
  key: string,
  expected: string,
): FieldError[] {
  const path = metadataPath.child("labels").key(key);
  if (!(key in labels)) return [required(path, `must be '${expected}'`)];
  return labels[key] === expected
    ? []
    : [invalid(path, sortedMap(labels), `must be '${expected}'`)];
}

/** The full spec check of a Job: its fields plus a selector that selects the template. */
function validateJobSpec(spec: JsonRecord, path: FieldPath): FieldError[] {
  const errors = validateJobSpecFields(spec, path);
  const selector = selectorOf(spec.selector);
  if (selector === undefined) errors.push(required(path.child("selector"), ""));
  else errors.push(...validateLabelSelector(selector, path.child("selector")));
  const converted = selector === undefined ? LabelSelector.nothing() : convertSelector(selector);
  const template = recordOf(spec.template) ?? {};
  const labels = recordOf(template.metadata)?.labels;
  if (converted !== undefined && !converted.matches(stringMap(labels))) {
    errors.push(
      invalid(
        path.child("template", "metadata", "labels"),
        sortedMap(labels),
        SELECTOR_MISMATCH_MESSAGE,
      ),
    );
  }
  return errors;
}

/** Upstream's validateJobSpec: everything but the selector (CronJob templates have none). */
export function validateJobSpecFields(spec: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of [
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "ttlSecondsAfterFinished",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
  ]) {
    errors.push(...validateNonnegative(spec[field], path.child(field)));
  }
  const { completions, backoffLimitPerIndex, maxFailedIndexes } = spec;
  if (maxFailedIndexes != null && backoffLimitPerIndex == null) {
    errors.push(required(path.child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"));
  }
  if (spec.managedBy != null) {
    const managedBy = stringOf(spec.managedBy);
    errors.push(...validateDomainPrefixedPath(path.child("managedBy"), managedBy));
    if (managedBy.length > maxManagedByLength) {
      errors.push(tooLong(path.child("managedBy"), maxManagedByLength));
    }
  }
  const mode = spec.completionMode;
  if (mode != null && mode !== "NonIndexed" && mode !== "Indexed") {
    errors.push(notSupported(path.child("completionMode"), mode, ["NonIndexed", "Indexed"]));
  }
  if (mode === "Indexed") {
    errors.push(...validateIndexedLimits(spec, path));
  } else if (mode == null || mode === "NonIndexed") {
    if (backoffLimitPerIndex != null) {
      errors.push(
        invalid(
          path.child("backoffLimitPerIndex"),
          backoffLimitPerIndex,
          "requires indexed completion mode",
        ),
      );
    }
    if (maxFailedIndexes != null) {
      errors.push(
        invalid(
          path.child("maxFailedIndexes"),
          maxFailedIndexes,
          "requires indexed completion mode",
        ),
      );
    }
  }
  const podFailurePolicy = recordOf(spec.podFailurePolicy);
  if (podFailurePolicy !== undefined) {
    errors.push(
      ...validatePodFailurePolicy(spec, podFailurePolicy, path.child("podFailurePolicy")),
    );
  }
  const successPolicy = recordOf(spec.successPolicy);
  if (successPolicy !== undefined) {
    if (mode !== "Indexed") {
      errors.push(
        invalid(path.child("successPolicy"), successPolicy, "requires indexed completion mode"),
      );
    } else {
      errors.push(
        ...validateSuccessPolicy(successPolicy, completions, path.child("successPolicy")),
      );
    }
  }
  const replacement = spec.podReplacementPolicy;
  if (replacement != null) {
    const allowed = podFailurePolicy === undefined ? ["Failed", "TerminatingOrFailed"] : ["Failed"];
    if (!allowed.includes(stringOf(replacement))) {
      errors.push(notSupported(path.child("podReplacementPolicy"), replacement, allowed));
    }
  }
  const template = recordOf(spec.template) ?? {};
  const templatePath = path.child("template");
  errors.push(...validatePodTemplateSpec(template, templatePath));
  // Pod defaulting would turn an unset policy into "Always", which is just as wrong here.
  const restartPolicy = stringOf(recordOf(template.spec)?.restartPolicy);
  const restartPath = templatePath.child("spec", "restartPolicy");
  if (restartPolicy === "Always" || restartPolicy === "") {
    errors.push(required(restartPath, `valid values: "OnFailure", "Never"`));
  } else if (restartPolicy !== "OnFailure" && restartPolicy !== "Never") {
    errors.push(notSupported(restartPath, restartPolicy, ["OnFailure", "Never"]));
  } else if (podFailurePolicy !== undefined && restartPolicy !== "Never") {
    errors.push(
      invalid(
        restartPath,
        restartPolicy,
        `only "Never" is supported when podFailurePolicy is specified`,
      ),
    );
  }
  return errors;
}

function validateIndexedLimits(spec: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const { parallelism, completions, maxFailedIndexes, backoffLimitPerIndex } = spec;
  if (completions == null) {
    errors.push(required(path.child("completions"), "when completion mode is Indexed"));
  }
  if (typeof parallelism === "number" && parallelism > maxParallelismForIndexedJob) {
    errors.push(
      invalid(
        path.child("parallelism"),
        parallelism,
        `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`,
      ),
    );
  }
  if (typeof completions === "number" && typeof maxFailedIndexes === "number") {
    if (maxFailedIndexes > completions) {
      errors.push(
        invalid(
          path.child("maxFailedIndexes"),
          maxFailedIndexes,
          "must be less than or equal to completions",
        ),
      );
    }
  }
  if (typeof maxFailedIndexes === "number" && maxFailedIndexes > maxFailedIndexesForIndexedJob) {
    errors.push(
      invalid(
        path.child("maxFailedIndexes"),
        maxFailedIndexes,
        `must be less than or equal to ${maxFailedIndexesForIndexedJob}`,
      ),
    );
  }
  if (
    typeof completions === "number" &&
    completions > completionsSoftLimit &&
    backoffLimitPerIndex != null
  ) {
    const suffix = `when completions are above ${completionsSoftLimit} and used with backoff limit per index`;
    if (maxFailedIndexes == null) {
      errors.push(
        required(
          path.child("maxFailedIndexes"),
          `must be specified when completions is above ${completionsSoftLimit}`,
        ),
      );
    }
    if (typeof parallelism === "number" && parallelism > parallelismLimitForHighCompletions) {
      errors.push(
        invalid(
          path.child("parallelism"),
          parallelism,
          `must be less than or equal to ${parallelismLimitForHighCompletions} ${suffix}`,
        ),
      );
    }
    if (
      typeof maxFailedIndexes === "number" &&
      maxFailedIndexes > maxFailedIndexesLimitForHighCompletions
    ) {
      errors.push(
        invalid(
          path.child("maxFailedIndexes"),
          maxFailedIndexes,
          `must be less than or equal to ${maxFailedIndexesLimitForHighCompletions} ${suffix}`,
        ),
      );
    }
  }
  return errors;
}

/**
 * What may change on a running Job. The pod template is frozen, except that a suspended
 * Job that never started may still move its pods (node affinity, node selector,
 * tolerations, scheduling gates, labels and annotations) so a queueing controller can
 * place it before it starts.
 */
export function validateJobUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  const spec = recordOf(object.spec) ?? {};
  const oldSpec = recordOf(old.spec) ?? {};
  const path = fieldPath("spec");
  const errors: FieldError[] = [];
  if (spec.completionMode === "Indexed") {
    // Elastic Indexed Jobs scale by changing completions and parallelism together.
    if (!semanticEqual(spec.completions, oldSpec.completions) && spec.completions != null) {
      if (spec.completions !== spec.parallelism) {
        errors.push(
          invalid(
            path.child("completions"),
            spec.completions,
            "can only be modified in tandem with spec.parallelism",
          ),
        );
      }
    }
  } else {
    errors.push(
      ...validateImmutable(oldSpec.completions, spec.completions, path.child("completions")),
    );
  }
  errors.push(...validateImmutable(oldSpec.selector, spec.selector, path.child("selector")));
  errors.push(...validateTemplateUpdate(spec, oldSpec, old, path.child("template")));
  for (const field of [
    "completionMode",
    "podFailurePolicy",
    "backoffLimitPerIndex",
    "managedBy",
    "successPolicy",
  ]) {
    errors.push(...validateImmutable(oldSpec[field], spec[field], path.child(field)));
  }
  const status = recordOf(object.status) ?? {};
  for (const field of ["active", "succeeded", "failed", "ready", "terminating"]) {
    errors.push(...validateNonnegative(status[field], fieldPath("status", field)));
  }
  return errors;
}

function validateTemplateUpdate(
  spec: JsonRecord,
  oldSpec: JsonRecord,
  old: KubeObject,
  path: FieldPath,
): FieldError[] {
  const template = recordOf(spec.template) ?? {};
  const oldTemplate = structuredClone(recordOf(oldSpec.template) ?? {});
  const neverStarted = recordOf(old.status)?.startTime == null;
  if (oldSpec.suspend === true && neverStarted) {
    const podSpec = recordOf(template.spec) ?? {};
    const oldPodSpec = recordOf(oldTemplate.spec) ?? {};
    oldTemplate.spec = oldPodSpec;
    const affinity = recordOf(podSpec.affinity);
    const oldAffinity = recordOf(oldPodSpec.affinity);
    if (affinity === undefined && oldAffinity !== undefined) {
      delete oldAffinity.nodeAffinity;
      if (Object.keys(oldAffinity).length === 0) delete oldPodSpec.affinity;
    } else if (affinity !== undefined && oldAffinity === undefined) {
      oldPodSpec.affinity = { nodeAffinity: affinity.nodeAffinity };
    } else if (affinity !== undefined && oldAffinity !== undefined) {
      oldAffinity.nodeAffinity = affinity.nodeAffinity;
    }
    for (const field of ["nodeSelector", "tolerations", "schedulingGates"]) {
      oldPodSpec[field] = podSpec[field];
    }
    const metadata = recordOf(template.metadata) ?? {};
    const oldMetadata = recordOf(oldTemplate.metadata) ?? {};
    oldTemplate.metadata = oldMetadata;
    oldMetadata.labels = metadata.labels;
    oldMetadata.annotations = metadata.annotations;
  }
  return validateImmutable(oldTemplate, template, path);
}

/**
 * Validation rules the controller kinds share (apps, batch, policy): non-negative
 * counters, label selectors that must select the pod template, pod template checks and
 * int-or-percent values. Upstream keeps these in `pkg/apis/apps/validation`, and batch
 * and policy import them from there, so the texts below are the ones kubectl shows for
 * all of those kinds.
 */
import type { KubeObject } from "../../kind.ts";
import { LabelSelector, type MetaV1LabelSelector } from "../../labels/label-selector.ts";
import { validateLabelSelector } from "../../labels/label-selector-validation.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { validateImmutable } from "../../validation/immutable.ts";
import { validateAnnotations, validateLabels } from "../../validation/labels-and-annotations.ts";
import { regexError } from "../../validation/validation-messages.ts";
import { type JsonRecord, recordOf, stringMap, stringOf } from "../core/json-value.ts";
import { validatePodTemplateSpec } from "../core/pod-spec.validation.ts";

export const NEGATIVE_MESSAGE = "must be greater than or equal to 0";
export const SELECTOR_MISMATCH_MESSAGE = "`selector` does not match template `labels`";

/**
 * A copy of a string map with its keys in the order Go's JSON encoder writes map keys
 * (sorted), so bad values that are label maps print exactly as upstream prints them.
 */
export function sortedMap(value: unknown): Record<string, string> | null {
  const record = recordOf(value);
  if (record === undefined) return null;
  const map = stringMap(record);
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((key) => [key, map[key] as string]),
  );
}

/** Upstream's ValidateNonnegativeField; absent values (nil pointers) pass. */
export function validateNonnegative(value: unknown, path: FieldPath): FieldError[] {
  return typeof value === "number" && value < 0 ? [invalid(path, value, NEGATIVE_MESSAGE)] : [];
}

/** The selector object as the label-selector module reads it, undefined when absent. */
export function selectorOf(value: unknown): MetaV1LabelSelector | undefined {
  const record = recordOf(value);
  return record as MetaV1LabelSelector | undefined;
}

/** `LabelSelector.fromObject`, or undefined when the selector cannot be converted. */
export function convertSelector(
  selector: MetaV1LabelSelector | undefined,
): LabelSelector | undefined {
  try {
    return LabelSelector.fromObject(selector);
  } catch {
    return undefined;
  }
}

export function hasSelectorTerms(selector: MetaV1LabelSelector): boolean {
  return (
    Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length > 0
  );
}

export interface RequiredSelectorOptions {
  /** The word in "empty selector is invalid for <kind>" (upstream reuses "deployment" for ReplicaSets). */
  kindWord: string;
}

/**
 * A required, non-empty selector (Deployment, ReplicaSet, StatefulSet): `Required` when it
 * is missing, the selector's own errors, and "empty selector is invalid for …" when it has
 * no terms.
 */
export function validateRequiredSelector(
  value: unknown,
  path: FieldPath,
  options: RequiredSelectorOptions,
): FieldError[] {
  const selector = selectorOf(value);
  if (selector === undefined) return [required(path, "")];
  const errors = validateLabelSelector(selector, path);
  if (!hasSelectorTerms(selector)) {
    errors.push(invalid(path, selector, `empty selector is invalid for ${options.kindWord}`));
  }
  return errors;
}

/**
 * Whether the selector selects the template's labels. A missing selector selects nothing,
 * so it fails this check too (upstream reports both problems). An empty selector passes.
 */
export function validateSelectorMatchesTemplate(
  selector: LabelSelector,
  template: JsonRecord,
  templatePath: FieldPath,
): FieldError[] {
  if (selector.isEmpty()) return [];
  const labels = stringMap(recordOf(template.metadata)?.labels);
  if (selector.matches(labels)) return [];
  return [
    invalid(
      templatePath.child("metadata", "labels"),
      sortedMap(recordOf(template.metadata)?.labels),
      SELECTOR_MISMATCH_MESSAGE,
    ),
  ];
}

/**
 * Only the template's labels and annotations (at `template.labels`, as upstream names
 * them), for StatefulSets, whose pod spec upstream leaves unchecked.
 */
export function validateTemplateMetadata(
  template: JsonRecord,
  templatePath: FieldPath,
): FieldError[] {
  const metadata = recordOf(template.metadata) ?? {};
  return [
    ...validateLabels(stringMap(metadata.labels), templatePath.child("labels")),
    ...validateAnnotations(stringMap(metadata.annotations), templatePath.child("annotations")),
  ];
}

/**
 * The selector and template of a ReplicaSet or Deployment spec (upstream's
 * ValidatePodTemplateSpecForReplicaSet, whose messages name ReplicaSet for both).
 */
export function validateReplicaSetTemplate(spec: JsonRecord, specPath: FieldPath): FieldError[] {
  const selector = selectorOf(spec.selector);
  const converted = convertSelector(selector);
  if (converted === undefined) {
    return [invalid(specPath.child("selector"), selector ?? null, "invalid label selector")];
  }
  const template = recordOf(spec.template) ?? {};
  const templatePath = specPath.child("template");
  return [
    ...validateSelectorMatchesTemplate(converted, template, templatePath),
    ...validatePodTemplateSpec(template, templatePath),
    ...validateLongRunningTemplate(template, templatePath, "ReplicaSet"),
  ];
}

/**
 * Long-running controllers (ReplicaSet, Deployment, DaemonSet, StatefulSet) need pods
 * that restart forever and never time out. `controllerName` fills upstream's
 * "activeDeadlineSeconds in <controller> is not Supported".
 */
export function validateLongRunningTemplate(
  template: JsonRecord,
  templatePath: FieldPath,
  controllerName: string,
): FieldError[] {
  const errors: FieldError[] = [];
  // Pod defaulting has set "Always" when the client left it out.
  const restartPolicy = stringOf(recordOf(template.spec)?.restartPolicy);
  if (restartPolicy !== "Always") {
    errors.push(
      notSupported(templatePath.child("spec", "restartPolicy"), restartPolicy, ["Always"]),
    );
  }
  if (recordOf(template.spec)?.activeDeadlineSeconds !== undefined) {
    errors.push(
      forbidden(
        templatePath.child("spec", "activeDeadlineSeconds"),
        `activeDeadlineSeconds in ${controllerName} is not Supported`,
      ),
    );
  }
  return errors;
}

const percentFmt = "[0-9]+%";
const percentPattern = /^[0-9]+%$/;
const percentErrMsg = "a valid percent string must be a numeric string followed by an ending '%'";

/**
 * An IntOrString holding a non-negative integer or a percentage ("25%"). The value is
 * shown as sent; "%%" in the last message is upstream's (it is not a format string there).
 */
export function validatePositiveIntOrPercent(value: unknown, path: FieldPath): FieldError[] {
  if (typeof value === "string") {
    return percentPattern.test(value)
      ? []
      : [invalid(path, value, regexError(percentErrMsg, percentFmt, "1%", "93%"))];
  }
  if (typeof value === "number") return validateNonnegative(value, path);
  return [invalid(path, value ?? null, "must be an integer or percentage (e.g '5%%')")];
}

/** The number in an int-or-percent, as upstream's getIntOrPercentValue reads it. */
export function intOrPercentValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return 0;
  if (percentPattern.test(value)) return Number.parseInt(value.slice(0, -1), 10);
  // Go's IntValue on a string parses it as an integer and yields 0 when it cannot.
  return /^[+-]?\d+$/.test(value) ? Number.parseInt(value, 10) : 0;
}

/** Percentages may not go past 100%; integers are not limited here. */
export function isNotMoreThan100Percent(value: unknown, path: FieldPath): FieldError[] {
  if (typeof value !== "string" || !percentPattern.test(value)) return [];
  return intOrPercentValue(value) > 100
    ? [invalid(path, value, "must not be greater than 100%")]
    : [];
}

/**
 * Status counters a controller writes: each non-negative, and the listed ones not above
 * `status.replicas`. Runs on every update; the main endpoint keeps the stored status, so
 * in practice it judges what a controller sent to `/status`.
 */
export function validateReplicaCounters(
  status: JsonRecord,
  path: FieldPath,
  nonNegative: readonly string[],
  boundedByReplicas: readonly string[],
): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of nonNegative) {
    errors.push(...validateNonnegative(status[field], path.child(field)));
  }
  const replicas = typeof status.replicas === "number" ? status.replicas : 0;
  for (const field of boundedByReplicas) {
    const value = status[field];
    if (typeof value === "number" && value > replicas) {
      errors.push(invalid(path.child(field), value, "cannot be greater than status.replicas"));
    }
  }
  return errors;
}

/** `status.collisionCount` may only grow (controllers use it to name revisions). */
export function validateCollisionCountNotDecremented(
  status: JsonRecord,
  oldStatus: JsonRecord,
  path: FieldPath,
): FieldError[] {
  const next = typeof status.collisionCount === "number" ? status.collisionCount : undefined;
  const previous =
    typeof oldStatus.collisionCount === "number" ? oldStatus.collisionCount : undefined;
  if (previous === undefined) return [];
  if (next === undefined || next < previous) {
    return [invalid(path.child("collisionCount"), next ?? 0, "cannot be decremented")];
  }
  return [];
}

export interface WorkloadStatusRules {
  /** Counters that may not be negative. */
  nonNegative: readonly string[];
  /** Counters that may not exceed `status.replicas`. */
  boundedByReplicas: readonly string[];
  /** Deployments and ReplicaSets: availableReplicas may not exceed readyReplicas. */
  availableNotAboveReady?: boolean;
  /** Kinds that name revisions with `status.collisionCount`: it may only grow. */
  collisionCount?: boolean;
}

/**
 * The update checks the apps/v1 workloads with a selector share. apps/v1 makes the
 * selector immutable (the old beta groups did not, which is why upstream checks it in
 * the strategy rather than in the spec validation). The status checks judge what a
 * controller writes through `/status`; the main endpoint keeps the stored status.
 */
export function validateWorkloadUpdate(
  object: KubeObject,
  old: KubeObject,
  rules: WorkloadStatusRules,
): FieldError[] {
  const errors = validateImmutable(
    recordOf(old.spec)?.selector,
    recordOf(object.spec)?.selector,
    fieldPath("spec", "selector"),
  );
  const status = recordOf(object.status) ?? {};
  const statusPath = fieldPath("status");
  errors.push(
    ...validateReplicaCounters(status, statusPath, rules.nonNegative, rules.boundedByReplicas),
  );
  if (rules.availableNotAboveReady) {
    const available = typeof status.availableReplicas === "number" ? status.availableReplicas : 0;
    const ready = typeof status.readyReplicas === "number" ? status.readyReplicas : 0;
    if (available > ready) {
      errors.push(
        invalid(
          statusPath.child("availableReplicas"),
          available,
          "cannot be greater than readyReplicas",
        ),
      );
    }
  }
  if (rules.collisionCount) {
    errors.push(
      ...validateCollisionCountNotDecremented(status, recordOf(old.status) ?? {}, statusPath),
    );
  }
  return errors;
}

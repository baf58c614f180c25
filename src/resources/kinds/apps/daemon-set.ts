/**
 * apps/v1 DaemonSet: defaults as upstream's SetDefaults_DaemonSet, the status strategy,
 * the template generation upstream keeps in an annotation, and upstream's validation
 * (`pkg/apis/apps/validation`, `pkg/registry/apps/daemonset/strategy.go`).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { validateLabelSelector } from "../../labels/label-selector-validation.ts";
import { type FieldError, invalid, notSupported, required } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { semanticEqual } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { ensureRecord, type JsonRecord, recordOf, stringMap } from "../core/json-value.ts";
import { validatePodTemplateSpec } from "../core/pod-spec.validation.ts";
import { defaultPodTemplateSpec } from "../core/pod-spec-defaults.ts";
import {
  convertSelector,
  hasSelectorTerms,
  intOrPercentValue,
  isNotMoreThan100Percent,
  SELECTOR_MISMATCH_MESSAGE,
  selectorOf,
  sortedMap,
  validateLongRunningTemplate,
  validateNonnegative,
  validatePositiveIntOrPercent,
  validateWorkloadUpdate,
} from "./workload-validation.ts";

/**
 * apps/v1 has no `spec.templateGeneration`; upstream converts its internal field to this
 * annotation, and the DaemonSet controller still reads it to tell template versions apart.
 */
export const TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";

export const daemonSetKind: KindDefinition = {
  group: "apps",
  version: "v1",
  kind: "DaemonSet",
  resource: "daemonsets",
  singular: "daemonset",
  namespaced: true,
  shortNames: ["ds"],
  categories: ["all"],
  schemaRef: "apps/v1.DaemonSet",
  hasStatus: true,
  subresources: ["status"],
  tracksGeneration: true,

  defaults: defaultDaemonSet,
  prepareForCreate(object) {
    object.status = {};
    if (templateGeneration(object) < 1) setTemplateGeneration(object, 1);
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
    // Clients may not set the template generation; it counts template changes only.
    const previous = templateGeneration(old);
    // The stored template was defaulted; this one is not yet, so compare it defaulted.
    const template = structuredClone(recordOf(object.spec)?.template);
    defaultPodTemplateSpec(template);
    const templateChanged = !semanticEqual(template, recordOf(old.spec)?.template);
    setTemplateGeneration(object, templateChanged ? previous + 1 : previous);
  },
  validate: (object) => validateDaemonSet(object),
  validateUpdate: (object, old) => validateDaemonSetUpdate(object, old),
};

/** One pod at a time may be unavailable during a rolling update, and none surges. */
export function defaultDaemonSet(object: KubeObject): void {
  const spec = ensureRecord(object, "spec");
  const strategy = ensureRecord(spec, "updateStrategy");
  if (!strategy.type) strategy.type = "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const rollingUpdate = ensureRecord(strategy, "rollingUpdate");
    rollingUpdate.maxUnavailable ??= 1;
    rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplateSpec(spec.template);
}

function templateGeneration(object: KubeObject): number {
  const value = object.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const parsed = value === undefined ? Number.NaN : Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : 0;
}

function setTemplateGeneration(object: KubeObject, generation: number): void {
  const metadata = object.metadata ?? {};
  object.metadata = metadata;
  metadata.annotations = {
    ...metadata.annotations,
    [TEMPLATE_GENERATION_ANNOTATION]: String(generation),
  };
}

export function validateDaemonSet(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  const selector = selectorOf(spec.selector);
  errors.push(...validateLabelSelector(selector, path.child("selector")));
  const template = recordOf(spec.template) ?? {};
  const templatePath = path.child("template");
  // Unlike the other workloads a missing selector is not reported as such: it selects no
  // pods, so the template check below fails instead, as upstream does.
  const converted = convertSelector(selector);
  const labels = recordOf(template.metadata)?.labels;
  if (converted !== undefined && !converted.matches(stringMap(labels))) {
    errors.push(
      invalid(
        templatePath.child("metadata", "labels"),
        sortedMap(labels),
        SELECTOR_MISMATCH_MESSAGE,
      ),
    );
  }
  if (selector !== undefined && !hasSelectorTerms(selector)) {
    errors.push(
      invalid(path.child("selector"), selector, "empty selector is invalid for daemonset"),
    );
  }
  errors.push(...validatePodTemplateSpec(template, templatePath));
  errors.push(...validateLongRunningTemplate(template, templatePath, "DaemonSet"));
  errors.push(...validateNonnegative(spec.minReadySeconds, path.child("minReadySeconds")));
  errors.push(
    ...validateUpdateStrategy(recordOf(spec.updateStrategy) ?? {}, path.child("updateStrategy")),
  );
  errors.push(
    ...validateNonnegative(spec.revisionHistoryLimit, path.child("revisionHistoryLimit")),
  );
  return errors;
}

export function validateDaemonSetUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  return validateWorkloadUpdate(object, old, {
    nonNegative: [
      "currentNumberScheduled",
      "numberMisscheduled",
      "desiredNumberScheduled",
      "numberReady",
      "observedGeneration",
      "updatedNumberScheduled",
      "numberAvailable",
      "numberUnavailable",
      "collisionCount",
    ],
    boundedByReplicas: [],
    collisionCount: true,
  });
}

function validateUpdateStrategy(strategy: JsonRecord, path: FieldPath): FieldError[] {
  switch (strategy.type) {
    case "OnDelete":
      return [];
    case "RollingUpdate": {
      const rollingUpdate = recordOf(strategy.rollingUpdate);
      if (rollingUpdate === undefined) return [required(path.child("rollingUpdate"), "")];
      return validateRollingUpdate(rollingUpdate, path.child("rollingUpdate"));
    }
    default:
      return [notSupported(path, strategy, ["RollingUpdate", "OnDelete"])];
  }
}

function validateRollingUpdate(rollingUpdate: JsonRecord, path: FieldPath): FieldError[] {
  const { maxUnavailable, maxSurge } = rollingUpdate;
  const errors = [
    ...validatePositiveIntOrPercent(maxUnavailable, path.child("maxUnavailable")),
    ...validatePositiveIntOrPercent(maxSurge, path.child("maxSurge")),
    ...isNotMoreThan100Percent(maxUnavailable, path.child("maxUnavailable")),
    ...isNotMoreThan100Percent(maxSurge, path.child("maxSurge")),
  ];
  // A DaemonSet runs one pod per node: it either surges a new pod next to the old one or
  // takes the old one down first, never both.
  const hasUnavailable = intOrPercentValue(maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(maxSurge) !== 0;
  if (hasUnavailable && hasSurge) {
    errors.push(
      invalid(
        path.child("maxSurge"),
        maxSurge ?? null,
        "may not be set when maxUnavailable is non-zero",
      ),
    );
  } else if (!hasUnavailable && !hasSurge) {
    errors.push(required(path.child("maxUnavailable"), "cannot be 0 when maxSurge is 0"));
  }
  return errors;
}

/**
 * Deployment validation with upstream's paths and messages
 * (`pkg/apis/apps/validation`, `pkg/registry/apps/deployment/strategy.go`).
 */
import type { KubeObject } from "../../kind.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { type JsonRecord, recordOf } from "../core/json-value.ts";
import {
  intOrPercentValue,
  isNotMoreThan100Percent,
  validateNonnegative,
  validatePositiveIntOrPercent,
  validateReplicaSetTemplate,
  validateRequiredSelector,
  validateWorkloadUpdate,
} from "./workload-validation.ts";

export function validateDeployment(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  errors.push(...validateNonnegative(spec.replicas, path.child("replicas")));
  errors.push(
    ...validateRequiredSelector(spec.selector, path.child("selector"), { kindWord: "deployment" }),
  );
  errors.push(...validateReplicaSetTemplate(spec, path));
  errors.push(...validateDeploymentStrategy(recordOf(spec.strategy) ?? {}, path.child("strategy")));
  errors.push(...validateNonnegative(spec.minReadySeconds, path.child("minReadySeconds")));
  errors.push(
    ...validateNonnegative(spec.revisionHistoryLimit, path.child("revisionHistoryLimit")),
  );
  const deadline = spec.progressDeadlineSeconds;
  if (typeof deadline === "number") {
    const deadlinePath = path.child("progressDeadlineSeconds");
    errors.push(...validateNonnegative(deadline, deadlinePath));
    const minReady = typeof spec.minReadySeconds === "number" ? spec.minReadySeconds : 0;
    if (deadline <= minReady) {
      errors.push(invalid(deadlinePath, deadline, "must be greater than minReadySeconds"));
    }
  }
  return errors;
}

/** Selector immutable, status counters well formed (see validateWorkloadUpdate). */
export function validateDeploymentUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  return validateWorkloadUpdate(object, old, {
    nonNegative: [
      "observedGeneration",
      "replicas",
      "updatedReplicas",
      "readyReplicas",
      "availableReplicas",
      "unavailableReplicas",
      "collisionCount",
    ],
    boundedByReplicas: ["updatedReplicas", "readyReplicas", "availableReplicas"],
    availableNotAboveReady: true,
    collisionCount: true,
  });
}

function validateDeploymentStrategy(strategy: JsonRecord, path: FieldPath): FieldError[] {
  const rollingUpdate = recordOf(strategy.rollingUpdate);
  switch (strategy.type) {
    case "Recreate":
      return rollingUpdate === undefined
        ? []
        : [
            forbidden(
              path.child("rollingUpdate"),
              "may not be specified when strategy `type` is 'Recreate'",
            ),
          ];
    case "RollingUpdate":
      if (rollingUpdate === undefined) {
        return [required(path.child("rollingUpdate"), "this should be defaulted and never be nil")];
      }
      return validateRollingUpdateDeployment(rollingUpdate, path.child("rollingUpdate"));
    default:
      return [notSupported(path, strategy, ["Recreate", "RollingUpdate"])];
  }
}

function validateRollingUpdateDeployment(rollingUpdate: JsonRecord, path: FieldPath): FieldError[] {
  const { maxUnavailable, maxSurge } = rollingUpdate;
  const errors = [
    ...validatePositiveIntOrPercent(maxUnavailable, path.child("maxUnavailable")),
    ...validatePositiveIntOrPercent(maxSurge, path.child("maxSurge")),
  ];
  // With neither surge nor unavailability allowed a rollout could never make progress.
  if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
    errors.push(
      invalid(
        path.child("maxUnavailable"),
        maxUnavailable ?? null,
        "may not be 0 when `maxSurge` is 0",
      ),
    );
  }
  errors.push(...isNotMoreThan100Percent(maxUnavailable, path.child("maxUnavailable")));
  return errors;
}

/**
 * StatefulSet validation with upstream's paths and messages
 * (`pkg/apis/apps/validation`, `pkg/registry/apps/statefulset/strategy.go`).
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
import { semanticEqual } from "../../validation/immutable.ts";
import { nameIsDNSLabel } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { type JsonRecord, recordOf } from "../core/json-value.ts";
import {
  convertSelector,
  intOrPercentValue,
  isNotMoreThan100Percent,
  selectorOf,
  validateCollisionCountNotDecremented,
  validateLongRunningTemplate,
  validateNonnegative,
  validatePositiveIntOrPercent,
  validateReplicaCounters,
  validateRequiredSelector,
  validateSelectorMatchesTemplate,
  validateTemplateMetadata,
} from "./workload-validation.ts";

/** Spec fields an update may change; anything else needs a new StatefulSet. */
const mutableSpecFields = [
  "replicas",
  "ordinals",
  "template",
  "updateStrategy",
  "persistentVolumeClaimRetentionPolicy",
  "minReadySeconds",
];

export function validateStatefulSet(object: KubeObject): FieldError[] {
  // Pod names and hostnames are `<name>-<ordinal>`, so the name must be a DNS label.
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSLabel,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  switch (spec.podManagementPolicy) {
    case undefined:
    case null:
    case "":
      errors.push(required(path.child("podManagementPolicy"), ""));
      break;
    case "OrderedReady":
    case "Parallel":
      break;
    default:
      errors.push(
        invalid(
          path.child("podManagementPolicy"),
          spec.podManagementPolicy,
          "must be 'OrderedReady' or 'Parallel'",
        ),
      );
  }
  errors.push(
    ...validateUpdateStrategy(recordOf(spec.updateStrategy) ?? {}, path.child("updateStrategy")),
  );
  const retention = recordOf(spec.persistentVolumeClaimRetentionPolicy);
  if (retention !== undefined) {
    const retentionPath = path.child("persistentVolumeClaimRetentionPolicy");
    for (const field of ["whenDeleted", "whenScaled"]) {
      const value = retention[field] ?? "";
      if (value !== "Retain" && value !== "Delete") {
        errors.push(notSupported(retentionPath.child(field), value, ["Retain", "Delete"]));
      }
    }
  }
  errors.push(...validateNonnegative(spec.replicas, path.child("replicas")));
  errors.push(...validateNonnegative(spec.minReadySeconds, path.child("minReadySeconds")));
  const ordinals = recordOf(spec.ordinals);
  if (ordinals !== undefined) {
    errors.push(...validateNonnegative(ordinals.start, path.child("ordinals", "start")));
  }
  errors.push(
    ...validateRequiredSelector(spec.selector, path.child("selector"), { kindWord: "statefulset" }),
  );
  const selector = selectorOf(spec.selector);
  const converted = convertSelector(selector);
  const template = recordOf(spec.template) ?? {};
  const templatePath = path.child("template");
  if (converted === undefined) {
    errors.push(invalid(path.child("selector"), selector ?? null, ""));
  } else {
    // Upstream checks only the template's metadata here, not its pod spec: volumes come
    // from volumeClaimTemplates too, which the pod validation does not know about.
    errors.push(...validateSelectorMatchesTemplate(converted, template, templatePath));
    errors.push(...validateTemplateMetadata(template, templatePath));
  }
  errors.push(...validateLongRunningTemplate(template, templatePath, "StatefulSet"));
  return errors;
}

export function validateStatefulSetUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = { ...recordOf(object.spec) };
  const oldSpec = { ...recordOf(old.spec) };
  for (const field of mutableSpecFields) {
    delete spec[field];
    delete oldSpec[field];
  }
  if (!semanticEqual(spec, oldSpec)) {
    errors.push(
      forbidden(
        fieldPath("spec"),
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  const status = recordOf(object.status) ?? {};
  const statusPath = fieldPath("status");
  errors.push(
    ...validateReplicaCounters(
      status,
      statusPath,
      [
        "replicas",
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
        "observedGeneration",
        "collisionCount",
      ],
      ["readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"],
    ),
  );
  const available = typeof status.availableReplicas === "number" ? status.availableReplicas : 0;
  const ready = typeof status.readyReplicas === "number" ? status.readyReplicas : 0;
  if (available > ready) {
    errors.push(
      invalid(
        statusPath.child("availableReplicas"),
        available,
        "cannot be greater than status.readyReplicas",
      ),
    );
  }
  errors.push(
    ...validateCollisionCountNotDecremented(status, recordOf(old.status) ?? {}, statusPath),
  );
  return errors;
}

function validateUpdateStrategy(strategy: JsonRecord, path: FieldPath): FieldError[] {
  const rollingUpdate = recordOf(strategy.rollingUpdate);
  switch (strategy.type) {
    case undefined:
    case null:
    case "":
      return [required(path, "")];
    case "OnDelete":
      return rollingUpdate === undefined
        ? []
        : [
            invalid(
              path.child("rollingUpdate"),
              rollingUpdate,
              "only allowed for updateStrategy 'RollingUpdate'",
            ),
          ];
    case "RollingUpdate":
      return rollingUpdate === undefined
        ? []
        : validateRollingUpdate(rollingUpdate, path.child("rollingUpdate"));
    default:
      return [invalid(path, strategy, "must be 'RollingUpdate' or 'OnDelete'")];
  }
}

function validateRollingUpdate(rollingUpdate: JsonRecord, path: FieldPath): FieldError[] {
  const errors = validateNonnegative(rollingUpdate.partition, path.child("partition"));
  const maxUnavailable = rollingUpdate.maxUnavailable;
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const maxPath = path.child("maxUnavailable");
    errors.push(...validatePositiveIntOrPercent(maxUnavailable, maxPath));
    if (intOrPercentValue(maxUnavailable) === 0) {
      errors.push(invalid(maxPath, maxUnavailable, "cannot be 0"));
    }
    errors.push(...isNotMoreThan100Percent(maxUnavailable, maxPath));
  }
  return errors;
}

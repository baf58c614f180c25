/**
 * apps/v1 ReplicaSet: one replica by default, the status strategy, and upstream's
 * validation (`pkg/apis/apps/validation`, `pkg/registry/apps/replicaset/strategy.go`).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import type { FieldError } from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { ensureRecord, recordOf } from "../core/json-value.ts";
import { defaultPodTemplateSpec } from "../core/pod-spec-defaults.ts";
import {
  validateNonnegative,
  validateReplicaSetTemplate,
  validateRequiredSelector,
  validateWorkloadUpdate,
} from "./workload-validation.ts";

export const replicaSetKind: KindDefinition = {
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  resource: "replicasets",
  singular: "replicaset",
  namespaced: true,
  shortNames: ["rs"],
  categories: ["all"],
  schemaRef: "apps/v1.ReplicaSet",
  hasStatus: true,
  scale: {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".spec.selector",
  },
  subresources: ["status", "scale"],
  tracksGeneration: true,

  defaults(object) {
    const spec = ensureRecord(object, "spec");
    spec.replicas ??= 1;
    defaultPodTemplateSpec(spec.template);
  },
  prepareForCreate(object) {
    object.status = {};
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validateReplicaSet(object),
  validateUpdate: (object, old) => validateReplicaSetUpdate(object, old),
  selectableFields: (object) => ({
    "status.replicas": String(recordOf(object.status)?.replicas ?? 0),
  }),
};

export function validateReplicaSet(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  errors.push(...validateNonnegative(spec.replicas, path.child("replicas")));
  errors.push(...validateNonnegative(spec.minReadySeconds, path.child("minReadySeconds")));
  // Upstream's message says "deployment" for ReplicaSets too; kept because clients match it.
  errors.push(
    ...validateRequiredSelector(spec.selector, path.child("selector"), { kindWord: "deployment" }),
  );
  errors.push(...validateReplicaSetTemplate(spec, path));
  return errors;
}

/** The selector is immutable in apps/v1; status counters are checked for `/status` writers. */
export function validateReplicaSetUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  return validateWorkloadUpdate(object, old, {
    nonNegative: [
      "replicas",
      "fullyLabeledReplicas",
      "readyReplicas",
      "availableReplicas",
      "observedGeneration",
    ],
    boundedByReplicas: ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"],
    availableNotAboveReady: true,
  });
}

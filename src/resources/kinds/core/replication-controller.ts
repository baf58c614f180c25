/**
 * ReplicationController (core/v1): the original replica controller. Its selector is a
 * plain label map that defaults to the template's labels and must match them; its pods
 * must restart Always (upstream ValidateReplicationController).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { isRecord, type JsonRecord, recordOf, stringMap, stringOf } from "./json-value.ts";
import { validatePodTemplateSpec } from "./pod-spec.validation.ts";
import { defaultPodTemplateSpec } from "./pod-spec-defaults.ts";
import { validateNonnegative } from "./probe.validation.ts";
import { clearStatus, keepStatus } from "./status-strategy.ts";

function validateTemplateForController(
  template: JsonRecord | undefined,
  selector: Record<string, string>,
  path: FieldPath,
): FieldError[] {
  if (!template) return [required(path, "")];
  const errors: FieldError[] = [];
  const labels = stringMap(recordOf(template.metadata)?.labels);
  const matches = Object.entries(selector).every(([key, value]) => labels[key] === value);
  if (Object.keys(selector).length > 0 && !matches) {
    errors.push(
      invalid(
        path.child("metadata", "labels"),
        labels,
        "`selector` does not match template `labels`",
      ),
    );
  }
  errors.push(...validatePodTemplateSpec(template, path));
  const spec = recordOf(template.spec) ?? {};
  // A replica that exits must come back, or the controller would fight the kubelet.
  const restartPolicy = stringOf(spec.restartPolicy);
  if (restartPolicy !== "Always") {
    errors.push(notSupported(path.child("spec", "restartPolicy"), restartPolicy, ["Always"]));
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errors.push(
      forbidden(
        path.child("spec", "activeDeadlineSeconds"),
        "activeDeadlineSeconds in ReplicationController is not Supported",
      ),
    );
  }
  return errors;
}

function validateReplicationController(controller: KubeObject): FieldError[] {
  const spec = recordOf(controller.spec) ?? {};
  const path = fieldPath("spec");
  const selector = stringMap(spec.selector);
  const errors = validateObjectMeta(controller.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  errors.push(...validateNonnegative(spec.minReadySeconds, path.child("minReadySeconds")));
  if (Object.keys(selector).length === 0) errors.push(required(path.child("selector"), ""));
  errors.push(...validateNonnegative(spec.replicas, path.child("replicas")));
  errors.push(
    ...validateTemplateForController(recordOf(spec.template), selector, path.child("template")),
  );
  return errors;
}

export const replicationControllerKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "ReplicationController",
  resource: "replicationcontrollers",
  singular: "replicationcontroller",
  namespaced: true,
  schemaRef: "core/v1.ReplicationController",
  hasStatus: true,
  shortNames: ["rc"],
  categories: ["all"],
  scale: {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".spec.selector",
  },
  subresources: ["status", "scale"],

  defaults(controller) {
    if (!isRecord(controller.spec)) controller.spec = {};
    const spec = controller.spec as JsonRecord;
    const template = recordOf(spec.template);
    const labels = recordOf(template?.metadata)?.labels;
    if (isRecord(labels)) {
      if (Object.keys(stringMap(spec.selector)).length === 0) spec.selector = { ...labels };
      const metadata = controller.metadata ?? {};
      if (Object.keys(metadata.labels ?? {}).length === 0) metadata.labels = stringMap(labels);
      controller.metadata = metadata;
    }
    if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
    defaultPodTemplateSpec(template);
  },

  prepareForCreate(controller) {
    clearStatus(controller);
  },

  prepareForUpdate(controller, old) {
    keepStatus(controller, old);
  },

  validate: validateReplicationController,

  validateUpdate(controller, old) {
    return validateObjectMetaUpdate(controller.metadata ?? {}, old.metadata ?? {}, {
      standardFinalizersOnly: true,
    });
  },

  selectableFields(controller) {
    const replicas = recordOf(controller.status)?.replicas;
    return { "status.replicas": String(typeof replicas === "number" ? replicas : 0) };
  },
};

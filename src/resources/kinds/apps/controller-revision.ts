/**
 * apps/v1 ControllerRevision: an immutable snapshot of a workload's template, written by
 * the DaemonSet and StatefulSet controllers (and read by `kubectl rollout history`).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { type FieldError, required } from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { validateNonnegative } from "./workload-validation.ts";

export const controllerRevisionKind: KindDefinition = {
  group: "apps",
  version: "v1",
  kind: "ControllerRevision",
  resource: "controllerrevisions",
  singular: "controllerrevision",
  namespaced: true,
  schemaRef: "apps/v1.ControllerRevision",
  hasStatus: false,

  validate: (object) => validateControllerRevision(object),
  validateUpdate: (object, old) => validateImmutable(old.data, object.data, fieldPath("data")),
};

export function validateControllerRevision(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  if (object.data === undefined || object.data === null) {
    errors.push(required(fieldPath("data"), "data is mandatory"));
  }
  errors.push(...validateNonnegative(object.revision, fieldPath("revision")));
  return errors;
}

/**
 * storage.k8s.io/v1 StorageClass: how PersistentVolumes are provisioned for claims.
 * Defaults and validation as upstream's (`pkg/apis/storage`); a class is immutable apart
 * from its metadata, mount options and allowed topologies.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { semanticEqual, validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { utf8Length } from "../../validation/validation-messages.ts";
import { stringMap, stringOf } from "../core/json-value.ts";

/** Parameters go to the provisioner in every call; keep them small. */
const maxParameters = 512;
const maxParametersSize = 256 * 1024;
const reclaimPolicies = ["Delete", "Retain"];
const volumeBindingModes = ["Immediate", "WaitForFirstConsumer"];

export const storageClassKind: KindDefinition = {
  group: "storage.k8s.io",
  version: "v1",
  kind: "StorageClass",
  resource: "storageclasses",
  singular: "storageclass",
  namespaced: false,
  shortNames: ["sc"],
  schemaRef: "storage/v1.StorageClass",
  hasStatus: false,

  defaults(object) {
    object.reclaimPolicy ??= "Delete";
    object.volumeBindingMode ??= "Immediate";
  },
  validate: (object) => validateStorageClass(object),
  validateUpdate: (object, old) => validateStorageClassUpdate(object, old),
};

export function validateStorageClass(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: false,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const provisioner = stringOf(object.provisioner);
  if (provisioner === "") errors.push(required(fieldPath("provisioner"), ""));
  else {
    for (const message of isQualifiedName(provisioner.toLowerCase())) {
      errors.push(invalid(fieldPath("provisioner"), provisioner, message));
    }
  }
  const parameters = stringMap(object.parameters);
  const entries = Object.entries(parameters);
  if (entries.length > maxParameters) {
    errors.push(tooLong(fieldPath("parameters"), maxParameters));
  } else {
    let size = 0;
    for (const [key, value] of entries) {
      if (key.length === 0)
        errors.push(invalid(fieldPath("parameters"), key, "field can not be empty."));
      size += utf8Length(key) + utf8Length(value);
    }
    if (size > maxParametersSize) errors.push(tooLong(fieldPath("parameters"), maxParametersSize));
  }
  const reclaimPolicy = stringOf(object.reclaimPolicy);
  if (reclaimPolicy !== "" && !reclaimPolicies.includes(reclaimPolicy)) {
    errors.push(notSupported(fieldPath("reclaimPolicy"), reclaimPolicy, reclaimPolicies));
  }
  if (object.volumeBindingMode == null) errors.push(required(fieldPath("volumeBindingMode"), ""));
  else if (!volumeBindingModes.includes(stringOf(object.volumeBindingMode))) {
    errors.push(
      notSupported(fieldPath("volumeBindingMode"), object.volumeBindingMode, volumeBindingModes),
    );
  }
  return errors;
}

/** Volumes already provisioned from a class were made with its settings; they cannot change. */
export function validateStorageClassUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (!semanticEqual(stringMap(old.parameters), stringMap(object.parameters))) {
    errors.push(forbidden(fieldPath("parameters"), "updates to parameters are forbidden."));
  }
  if (stringOf(object.provisioner) !== stringOf(old.provisioner)) {
    errors.push(forbidden(fieldPath("provisioner"), "updates to provisioner are forbidden."));
  }
  if (stringOf(object.reclaimPolicy) !== stringOf(old.reclaimPolicy)) {
    errors.push(forbidden(fieldPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."));
  }
  errors.push(
    ...validateImmutable(
      old.volumeBindingMode,
      object.volumeBindingMode,
      fieldPath("volumeBindingMode"),
    ),
  );
  return errors;
}

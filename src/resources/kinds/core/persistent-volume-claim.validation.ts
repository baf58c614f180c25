/**
 * PersistentVolumeClaim spec rules, shared by claims and by the claim templates of
 * ephemeral volumes (upstream ValidatePersistentVolumeClaimSpec and …Update).
 */

import type { MetaV1LabelSelector } from "../../labels/label-selector.ts";
import { validateLabelSelector } from "../../labels/label-selector-validation.ts";
import { isDNS1123Subdomain } from "../../validation/dns-name.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { semanticEqual, validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain, validateNamespaceName } from "../../validation/name-validators.ts";
import {
  cloneJson,
  isRecord,
  type JsonRecord,
  recordOf,
  stringList,
  stringOf,
} from "./json-value.ts";
import {
  parseQuantityValue,
  validatePositiveQuantity,
  validateResourceQuantityValue,
} from "./resource-requirements.ts";
import { describeDiff } from "./spec-diff.ts";

export const ACCESS_MODES: readonly string[] = [
  "ReadOnlyMany",
  "ReadWriteMany",
  "ReadWriteOnce",
  "ReadWriteOncePod",
];
export const VOLUME_MODES: readonly string[] = ["Block", "Filesystem"];
const betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class";

export function validateAccessModes(modes: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  let readWriteOncePod = false;
  let others = false;
  for (const mode of stringList(modes)) {
    if (!ACCESS_MODES.includes(mode)) errors.push(notSupported(path, mode, ACCESS_MODES));
    else if (mode === "ReadWriteOncePod") readWriteOncePod = true;
    else others = true;
  }
  if (readWriteOncePod && others) {
    errors.push(forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  }
  return errors;
}

/** A storage class (or volume attributes class) name is a DNS subdomain. */
export function validateClassName(value: string, path: FieldPath): FieldError[] {
  return nameIsDNSSubdomain(value, false).map((m) => invalid(path, value, m));
}

export function validatePersistentVolumeClaimSpec(spec: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const accessModes = stringList(spec.accessModes);
  if (accessModes.length === 0) {
    errors.push(required(path.child("accessModes"), "at least 1 access mode is required"));
  }
  if (isRecord(spec.selector)) {
    errors.push(
      ...validateLabelSelector(spec.selector as MetaV1LabelSelector, path.child("selector")),
    );
  }
  errors.push(...validateAccessModes(spec.accessModes, path.child("accessModes")));
  // Upstream reports the storage request at `resources[storage]`, not under `requests`.
  const storagePath = path.child("resources").key("storage");
  const requests = recordOf(recordOf(spec.resources)?.requests);
  if (requests?.storage === undefined || requests.storage === null) {
    errors.push(required(storagePath, ""));
  } else {
    const parsed = parseQuantityValue(requests.storage, storagePath);
    errors.push(...parsed.errors);
    if (parsed.quantity) {
      const positive = validatePositiveQuantity(parsed.quantity, storagePath);
      errors.push(
        ...(positive.length > 0
          ? positive
          : validateResourceQuantityValue("storage", parsed.quantity, storagePath)),
      );
    }
  }
  const storageClassName = stringOf(spec.storageClassName);
  if (storageClassName !== "") {
    errors.push(...validateClassName(storageClassName, path.child("storageClassName")));
  }
  if (typeof spec.volumeMode === "string" && !VOLUME_MODES.includes(spec.volumeMode)) {
    errors.push(notSupported(path.child("volumeMode"), spec.volumeMode, VOLUME_MODES));
  }
  const dataSource = recordOf(spec.dataSource);
  const dataSourceRef = recordOf(spec.dataSourceRef);
  if (dataSource) errors.push(...validateDataSource(dataSource, path.child("dataSource")));
  if (dataSourceRef) errors.push(...validateDataSource(dataSourceRef, path.child("dataSourceRef")));
  if (dataSourceRef && stringOf(dataSourceRef.namespace) !== "") {
    if (dataSource) {
      errors.push(
        invalid(
          path,
          "dataSource",
          "may not be specified when dataSourceRef.namespace is specified",
        ),
      );
    }
  } else if (dataSource && dataSourceRef) {
    const same =
      stringOf(dataSource.apiGroup) === stringOf(dataSourceRef.apiGroup) &&
      stringOf(dataSource.kind) === stringOf(dataSourceRef.kind) &&
      stringOf(dataSource.name) === stringOf(dataSourceRef.name);
    if (!same) errors.push(invalid(path, "dataSource", "must match dataSourceRef"));
  }
  const attributesClass = stringOf(spec.volumeAttributesClassName);
  if (attributesClass !== "") {
    errors.push(...validateClassName(attributesClass, path.child("volumeAttributesClassName")));
  }
  return errors;
}

function validateDataSource(source: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const kind = stringOf(source.kind);
  const apiGroup = stringOf(source.apiGroup);
  if (stringOf(source.name) === "") errors.push(required(path.child("name"), ""));
  if (kind === "") errors.push(required(path.child("kind"), ""));
  if (apiGroup === "" && kind !== "PersistentVolumeClaim") {
    errors.push(
      invalid(path, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"),
    );
  }
  if (apiGroup !== "") {
    errors.push(
      ...isDNS1123Subdomain(apiGroup).map((m) => invalid(path.child("apiGroup"), apiGroup, m)),
    );
  }
  const namespace = stringOf(source.namespace);
  if (namespace !== "") {
    errors.push(
      ...validateNamespaceName(namespace, false).map((m) =>
        invalid(path.child("namespace"), namespace, m),
      ),
    );
  }
  return errors;
}

function storageRequest(claim: JsonRecord): unknown {
  return recordOf(recordOf(recordOf(claim.spec)?.resources)?.requests)?.storage;
}

/**
 * A claim's spec is frozen once created, except that the binder may set `volumeName`
 * once and a bound claim may be resized. Shrinking is allowed down to just above the
 * capacity in status, so users can recover from a failed expansion
 * (RecoverVolumeExpansionFailure, on by default since 1.32).
 */
export function validatePersistentVolumeClaimUpdate(
  claim: JsonRecord,
  old: JsonRecord,
): FieldError[] {
  const errors: FieldError[] = [];
  const newSpec = cloneJson(recordOf(claim.spec) ?? {});
  const oldSpec = cloneJson(recordOf(old.spec) ?? {});
  if (stringOf(oldSpec.volumeName) === "") oldSpec.volumeName = newSpec.volumeName;
  const oldAnnotations = recordOf(recordOf(old.metadata)?.annotations) ?? {};
  const newAnnotations = recordOf(recordOf(claim.metadata)?.annotations) ?? {};
  errors.push(
    ...validateImmutable(
      stringOf(oldAnnotations[betaStorageClassAnnotation]),
      stringOf(newAnnotations[betaStorageClassAnnotation]),
      // Upstream names the annotation as a child, not a key: metadata.annotations.volume…
      fieldPath("metadata", "annotations", betaStorageClassAnnotation),
    ),
  );
  // A claim created without a class may have one set later, unless the beta annotation
  // already chose a different one.
  const oldClass = oldSpec.storageClassName;
  const newClass = newSpec.storageClassName;
  const annotatedClass = oldAnnotations[betaStorageClassAnnotation];
  if (
    typeof newClass === "string" &&
    (oldClass === undefined || oldClass === null) &&
    (annotatedClass === undefined || annotatedClass === newClass)
  ) {
    newSpec.storageClassName = oldClass;
  }
  const bound = stringOf(recordOf(claim.status)?.phase) === "Bound";
  const newRequests = recordOf(recordOf(newSpec.resources)?.requests);
  if (bound && newRequests) newRequests.storage = storageRequest(old);
  if (bound && newSpec.volumeAttributesClassName !== undefined) {
    newSpec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  }
  if (!semanticEqual(newSpec, oldSpec)) {
    errors.push(
      forbidden(
        fieldPath("spec"),
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${describeDiff(oldSpec, newSpec, "spec")}`,
      ),
    );
  }
  const sizePath = fieldPath("spec", "resources", "requests", "storage");
  const newSize = parseQuantityValue(storageRequest(claim), sizePath).quantity;
  const oldSize = parseQuantityValue(storageRequest(old), sizePath).quantity;
  const capacity = recordOf(recordOf(old.status)?.capacity)?.storage;
  const statusSize = parseQuantityValue(capacity ?? "0", sizePath).quantity;
  if (
    newSize &&
    oldSize &&
    statusSize &&
    newSize.cmp(oldSize) < 0 &&
    newSize.cmp(statusSize) <= 0
  ) {
    errors.push(forbidden(sizePath, "field can not be less than status.capacity"));
  }
  errors.push(
    ...validateImmutable(
      recordOf(old.spec)?.volumeMode,
      recordOf(claim.spec)?.volumeMode,
      // Upstream's path, without the `spec.` prefix.
      fieldPath("volumeMode"),
    ),
  );
  return errors;
}

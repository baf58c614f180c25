/**
 * PersistentVolume spec rules (upstream ValidatePersistentVolumeSpec and …Update): access
 * modes, a storage capacity, exactly one volume source, node affinity for local volumes;
 * the source is fixed once created.
 */

import type { KubeObject } from "../../kind.ts";
import { isDNS1123Label, isDNS1123Subdomain } from "../../validation/dns-name.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { semanticEqual, validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import {
  cloneJson,
  isRecord,
  type JsonRecord,
  recordOf,
  stringList,
  stringOf,
} from "./json-value.ts";
import {
  VOLUME_MODES,
  validateAccessModes,
  validateClassName,
} from "./persistent-volume-claim.validation.ts";
import { parseResourceList, validatePositiveQuantity } from "./resource-requirements.ts";
import { validateNodeSelector } from "./scheduling.validation.ts";
import { describeDiff } from "./spec-diff.ts";
import { HOST_PATH_TYPES, validatePathNoBacksteps } from "./volume.validation.ts";

const reclaimPolicies = ["Delete", "Recycle", "Retain"];
const moreThanOneType = "may not specify more than 1 volume type";

/** Upstream's order, which decides which of two sources gets the "more than 1" error. */
export const PERSISTENT_VOLUME_SOURCES: readonly string[] = [
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "glusterfs",
  "flocker",
  "nfs",
  "rbd",
  "quobyte",
  "cephfs",
  "iscsi",
  "cinder",
  "fc",
  "flexVolume",
  "azureFile",
  "vsphereVolume",
  "photonPersistentDisk",
  "portworxVolume",
  "azureDisk",
  "scaleIO",
  "local",
  "storageos",
  "csi",
];

const requiredFields: Record<string, { at?: string; fields: string[] }> = {
  gcePersistentDisk: { at: "persistentDisk", fields: ["pdName"] },
  awsElasticBlockStore: { fields: ["volumeID"] },
  glusterfs: { fields: ["endpoints", "path"] },
  rbd: { fields: ["monitors", "image"] },
  quobyte: { fields: ["registry", "volume"] },
  cephfs: { fields: ["monitors"] },
  iscsi: { fields: ["targetPortal", "iqn"] },
  cinder: { fields: ["volumeID"] },
  flexVolume: { fields: ["driver"] },
  azureFile: { fields: ["secretName", "shareName"] },
  vsphereVolume: { fields: ["volumePath"] },
  photonPersistentDisk: { fields: ["pdID"] },
  portworxVolume: { fields: ["volumeID"] },
  azureDisk: { fields: ["diskName", "diskURI"] },
  scaleIO: { fields: ["gateway", "system", "volumeName"] },
  storageos: { fields: ["volumeName"] },
};

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === "" ||
    (Array.isArray(value) && value.length === 0)
  );
}

function validateCSI(csi: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const driver = stringOf(csi.driver);
  const driverPath = path.child("driver");
  if (driver === "") errors.push(required(driverPath, ""));
  if (driver.length > 63) errors.push(tooLong(driverPath, 63));
  errors.push(
    ...isDNS1123Subdomain(driver.toLowerCase()).map((m) => invalid(driverPath, driver, m)),
  );
  if (stringOf(csi.volumeHandle) === "") errors.push(required(path.child("volumeHandle"), ""));
  for (const field of [
    "controllerPublishSecretRef",
    "controllerExpandSecretRef",
    "nodePublishSecretRef",
    "nodeExpandSecretRef",
  ]) {
    const ref = recordOf(csi[field]);
    if (!ref) continue;
    const name = stringOf(ref.name);
    const namespace = stringOf(ref.namespace);
    const refPath = path.child(field);
    if (name === "") errors.push(required(refPath.child("name"), ""));
    else {
      errors.push(...isDNS1123Subdomain(name).map((m) => invalid(refPath.child("name"), name, m)));
    }
    if (namespace === "") errors.push(required(refPath.child("namespace"), ""));
    else {
      errors.push(
        ...isDNS1123Label(namespace).map((m) => invalid(refPath.child("namespace"), namespace, m)),
      );
    }
  }
  return errors;
}

function validateSource(
  source: string,
  value: JsonRecord,
  specPath: FieldPath,
  hasNodeAffinity: boolean,
): FieldError[] {
  const simple = requiredFields[source];
  if (simple) {
    const at = specPath.child(simple.at ?? source);
    return simple.fields
      .filter((field) => isEmpty(value[field]))
      .map((field) => required(at.child(field), ""));
  }
  const path = specPath.child(source);
  switch (source) {
    case "hostPath": {
      const hostPath = stringOf(value.path);
      if (hostPath === "") return [required(path.child("path"), "")];
      const errors = validatePathNoBacksteps(hostPath, path.child("path"));
      if (typeof value.type === "string" && !HOST_PATH_TYPES.includes(value.type)) {
        errors.push(notSupported(path.child("type"), value.type, HOST_PATH_TYPES));
      }
      return errors;
    }
    case "nfs": {
      const errors: FieldError[] = [];
      const nfsPath = stringOf(value.path);
      if (isEmpty(value.server)) errors.push(required(path.child("server"), ""));
      if (nfsPath === "") errors.push(required(path.child("path"), ""));
      if (!nfsPath.startsWith("/")) {
        errors.push(invalid(path.child("path"), nfsPath, "must be an absolute path"));
      }
      return errors;
    }
    case "local": {
      const localPath = stringOf(value.path);
      const errors =
        localPath === ""
          ? [required(path.child("path"), "")]
          : validatePathNoBacksteps(localPath, path.child("path"));
      // A local volume exists on one node; without affinity pods would land anywhere.
      if (!hasNodeAffinity) {
        errors.push(
          required(specPath.child("nodeAffinity"), "Local volume requires node affinity"),
        );
      }
      return errors;
    }
    case "csi":
      return validateCSI(value, path);
    default:
      return [];
  }
}

export function validatePersistentVolume(volume: KubeObject): FieldError[] {
  const spec = recordOf(volume.spec) ?? {};
  const path = fieldPath("spec");
  const errors = validateObjectMeta(volume.metadata ?? {}, {
    namespaced: false,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  if (stringList(spec.accessModes).length === 0) {
    errors.push(required(path.child("accessModes"), ""));
  }
  errors.push(...validateAccessModes(spec.accessModes, path.child("accessModes")));
  const capacityPath = path.child("capacity");
  const capacity = recordOf(spec.capacity) ?? {};
  const names = Object.keys(capacity);
  if (names.length === 0) errors.push(required(capacityPath, ""));
  if (!names.includes("storage") || names.length > 1) {
    errors.push(notSupported(capacityPath, capacity, ["storage"]));
  }
  const parsed = parseResourceList(capacity, capacityPath);
  errors.push(...parsed.errors);
  for (const [name, quantity] of parsed.quantities) {
    if (quantity.sign() < 0) {
      errors.push(
        invalid(
          capacityPath.key(name),
          Number(quantity.value()),
          "must be a valid resource quantity",
        ),
      );
    }
    errors.push(...validatePositiveQuantity(quantity, capacityPath.key(name)));
  }
  const reclaim = stringOf(spec.persistentVolumeReclaimPolicy);
  if (reclaim !== "" && !reclaimPolicies.includes(reclaim)) {
    errors.push(
      notSupported(path.child("persistentVolumeReclaimPolicy"), reclaim, reclaimPolicies),
    );
  }
  const nodeAffinity = recordOf(spec.nodeAffinity);
  if (nodeAffinity) {
    const requiredSelector = recordOf(nodeAffinity.required);
    if (requiredSelector) {
      errors.push(
        ...validateNodeSelector(requiredSelector, path.child("nodeAffinity", "required")),
      );
    } else {
      errors.push(
        required(path.child("nodeAffinity", "required"), "must specify required node constraints"),
      );
    }
  }
  let count = 0;
  for (const source of PERSISTENT_VOLUME_SOURCES) {
    const value = spec[source];
    if (!isRecord(value)) continue;
    // Upstream never reports flexVolume as a second source.
    if (count > 0 && source !== "flexVolume") {
      errors.push(forbidden(path.child(source), moreThanOneType));
      continue;
    }
    count++;
    errors.push(...validateSource(source, value, path, nodeAffinity !== undefined));
  }
  if (count === 0) errors.push(required(path, "must specify a volume type"));
  const hostPath = stringOf(recordOf(spec.hostPath)?.path);
  if (hostPath !== "" && hostPath.replace(/\/+$/, "") === "" && reclaim === "Recycle") {
    errors.push(
      forbidden(
        path.child("persistentVolumeReclaimPolicy"),
        "may not be 'recycle' for a hostPath mount of '/'",
      ),
    );
  }
  const storageClass = stringOf(spec.storageClassName);
  if (storageClass !== "") {
    errors.push(...validateClassName(storageClass, path.child("storageClassName")));
  }
  if (typeof spec.volumeMode === "string" && !VOLUME_MODES.includes(spec.volumeMode)) {
    errors.push(notSupported(path.child("volumeMode"), spec.volumeMode, VOLUME_MODES));
  }
  const attributesClass = spec.volumeAttributesClassName;
  if (typeof attributesClass === "string") {
    const classPath = path.child("volumeAttributesClassName");
    if (attributesClass === "") errors.push(required(classPath, "an empty string is disallowed"));
    else errors.push(...validateClassName(attributesClass, classPath));
    if (!isRecord(spec.csi)) {
      errors.push(
        required(path.child("csi"), "has to be specified when using volumeAttributesClassName"),
      );
    }
  }
  return errors;
}

function sourceOf(spec: JsonRecord): JsonRecord {
  const source: JsonRecord = {};
  for (const field of PERSISTENT_VOLUME_SOURCES)
    if (spec[field] !== undefined) source[field] = spec[field];
  return source;
}

export function validatePersistentVolumeUpdate(volume: KubeObject, old: KubeObject): FieldError[] {
  const spec = recordOf(volume.spec) ?? {};
  const oldSpec = recordOf(old.spec) ?? {};
  const errors = validateObjectMetaUpdate(volume.metadata ?? {}, old.metadata ?? {}, {
    standardFinalizersOnly: true,
  });
  const newSource = cloneJson(sourceOf(spec));
  const oldSource = sourceOf(oldSpec);
  // A CSI volume may gain an expansion secret after creation.
  const newCSI = recordOf(newSource.csi);
  if (
    newCSI &&
    isRecord(oldSource.csi) &&
    !isRecord((oldSource.csi as JsonRecord).controllerExpandSecretRef)
  ) {
    delete newCSI.controllerExpandSecretRef;
  }
  if (!semanticEqual(newSource, oldSource)) {
    errors.push(
      forbidden(
        fieldPath("spec", "persistentvolumesource"),
        `spec.persistentvolumesource is immutable after creation\n${describeDiff(oldSource, newSource, "spec")}`,
      ),
    );
  }
  // Upstream's paths for these two lack the `spec.` prefix.
  errors.push(...validateImmutable(oldSpec.volumeMode, spec.volumeMode, fieldPath("volumeMode")));
  if (isRecord(oldSpec.nodeAffinity) && !semanticEqual(spec.nodeAffinity, oldSpec.nodeAffinity)) {
    errors.push(
      invalid(
        fieldPath("nodeAffinity"),
        spec.nodeAffinity ?? null,
        "field is immutable, except for updating from beta label to GA",
      ),
    );
  }
  if (
    typeof oldSpec.volumeAttributesClassName === "string" &&
    typeof spec.volumeAttributesClassName !== "string"
  ) {
    errors.push(
      forbidden(
        fieldPath("spec", "volumeAttributesClassName"),
        "update from non-nil value to nil is forbidden",
      ),
    );
  }
  return errors;
}

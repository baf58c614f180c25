/**
 * Pod volumes (upstream ValidateVolumes and validateVolumeSource): unique DNS-label names,
 * exactly one source each, and the fields each common source needs. The in-tree cloud
 * sources only get their required-field checks.
 */

import { isDNS1123Label } from "../../validation/dns-name.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { validateAnnotations, validateLabels } from "../../validation/labels-and-annotations.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import {
  VOLUME_FIELD_PATHS,
  validateObjectFieldSelector,
  validateResourceFieldSelector,
} from "./downward-api.validation.ts";
import { isRecord, type JsonRecord, recordList, recordOf, stringOf } from "./json-value.ts";
import { validatePersistentVolumeClaimSpec } from "./persistent-volume-claim.validation.ts";
import { parseQuantityValue } from "./resource-requirements.ts";

const fileModeMessage = "must be a number between 0 and 0777 (octal), both inclusive";
const moreThanOneType = "may not specify more than 1 volume type";

/** Upstream's order: it decides which of two sources gets the "more than 1" error. */
const sourceOrder = [
  "emptyDir",
  "hostPath",
  "gitRepo",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "secret",
  "nfs",
  "iscsi",
  "glusterfs",
  "flocker",
  "persistentVolumeClaim",
  "rbd",
  "cinder",
  "cephfs",
  "quobyte",
  "downwardAPI",
  "fc",
  "flexVolume",
  "configMap",
  "azureFile",
  "vsphereVolume",
  "photonPersistentDisk",
  "portworxVolume",
  "azureDisk",
  "storageos",
  "projected",
  "scaleIO",
  "csi",
  "ephemeral",
  "image",
];

/** Sources whose only checks are required fields, and the path upstream reports them at. */
const requiredFieldsBySource: Record<string, { at?: string; fields: string[] }> = {
  gitRepo: { fields: ["repository"] },
  gcePersistentDisk: { at: "persistentDisk", fields: ["pdName"] },
  awsElasticBlockStore: { fields: ["volumeID"] },
  iscsi: { fields: ["targetPortal", "iqn"] },
  glusterfs: { fields: ["endpoints", "path"] },
  rbd: { fields: ["monitors", "image"] },
  cinder: { fields: ["volumeID"] },
  cephfs: { fields: ["monitors"] },
  quobyte: { fields: ["registry", "volume"] },
  flexVolume: { fields: ["driver"] },
  azureFile: { fields: ["secretName", "shareName"] },
  vsphereVolume: { fields: ["volumePath"] },
  photonPersistentDisk: { fields: ["pdID"] },
  portworxVolume: { fields: ["volumeID"] },
  azureDisk: { fields: ["diskName", "diskURI"] },
  storageos: { fields: ["volumeName"] },
  scaleIO: { fields: ["gateway", "system", "volumeName"] },
  csi: { fields: ["driver"] },
};

export const HOST_PATH_TYPES: readonly string[] = [
  "",
  "BlockDevice",
  "CharDevice",
  "Directory",
  "DirectoryOrCreate",
  "File",
  "FileOrCreate",
  "Socket",
];

export interface ValidatedVolumes {
  /** Valid volumes by name, for volumeMounts to refer to. */
  volumes: Map<string, JsonRecord>;
  errors: FieldError[];
}

/** `podName` is set for real pods, so ephemeral claims' generated names can be checked. */
export function validateVolumes(
  volumes: unknown,
  path: FieldPath,
  podName: string | undefined,
): ValidatedVolumes {
  const valid = new Map<string, JsonRecord>();
  const errors: FieldError[] = [];
  recordList(volumes).forEach((volume, i) => {
    const itemPath = path.index(i);
    const namePath = itemPath.child("name");
    const name = stringOf(volume.name);
    const volumeErrors = validateVolumeSource(volume, itemPath, name, podName);
    if (name === "") volumeErrors.push(required(namePath, ""));
    else volumeErrors.push(...isDNS1123Label(name).map((m) => invalid(namePath, name, m)));
    if (valid.has(name)) volumeErrors.push(duplicate(namePath, name));
    if (volumeErrors.length === 0) valid.set(name, volume);
    else errors.push(...volumeErrors);
  });
  return { volumes: valid, errors };
}

function validateVolumeSource(
  volume: JsonRecord,
  path: FieldPath,
  volumeName: string,
  podName: string | undefined,
): FieldError[] {
  const errors: FieldError[] = [];
  let count = 0;
  for (const source of sourceOrder) {
    const value = volume[source];
    if (!isRecord(value)) continue;
    if (count > 0) {
      errors.push(forbidden(path.child(source), moreThanOneType));
      continue;
    }
    count++;
    errors.push(...validateSource(source, value, path, volumeName, podName));
  }
  if (count === 0) errors.push(required(path, "must specify a volume type"));
  return errors;
}

function validateSource(
  source: string,
  value: JsonRecord,
  volumePath: FieldPath,
  volumeName: string,
  podName: string | undefined,
): FieldError[] {
  const path = volumePath.child(source);
  const simple = requiredFieldsBySource[source];
  if (simple) {
    const at = volumePath.child(simple.at ?? source);
    return simple.fields
      .filter((field) => isEmpty(value[field]))
      .map((field) => required(at.child(field), ""));
  }
  switch (source) {
    case "emptyDir": {
      if (value.sizeLimit === undefined || value.sizeLimit === null) return [];
      const parsed = parseQuantityValue(value.sizeLimit, path.child("sizeLimit"));
      if (parsed.quantity && parsed.quantity.sign() < 0) {
        return [
          forbidden(path.child("sizeLimit"), "SizeLimit field must be a valid resource quantity"),
        ];
      }
      return parsed.errors;
    }
    case "hostPath":
      return validateHostPath(value, path);
    case "secret":
      return [
        ...(isEmpty(value.secretName) ? [required(path.child("secretName"), "")] : []),
        ...validateFileMode(value.defaultMode, path.child("defaultMode")),
        ...validateKeyToPaths(value.items, path.child("items")),
      ];
    case "configMap":
      return [
        ...(isEmpty(value.name) ? [required(path.child("name"), "")] : []),
        ...validateFileMode(value.defaultMode, path.child("defaultMode")),
        ...validateKeyToPaths(value.items, path.child("items")),
      ];
    case "persistentVolumeClaim":
      return isEmpty(value.claimName) ? [required(path.child("claimName"), "")] : [];
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
    case "downwardAPI": {
      const errors = validateFileMode(value.defaultMode, path.child("defaultMode"));
      for (const item of recordList(value.items))
        errors.push(...validateDownwardAPIFile(item, path));
      return errors;
    }
    case "projected":
      return validateProjected(value, path);
    case "ephemeral":
      return validateEphemeral(value, path, volumePath, volumeName, podName);
    case "image":
      return validateImageVolume(value, path, podName !== undefined);
    default:
      return [];
  }
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === "" ||
    (Array.isArray(value) && value.length === 0)
  );
}

function validateHostPath(value: JsonRecord, path: FieldPath): FieldError[] {
  const hostPath = stringOf(value.path);
  if (hostPath === "") return [required(path.child("path"), "")];
  const errors = validatePathNoBacksteps(hostPath, path.child("path"));
  if (typeof value.type === "string" && !HOST_PATH_TYPES.includes(value.type)) {
    errors.push(notSupported(path.child("type"), value.type, HOST_PATH_TYPES));
  }
  return errors;
}

export function validatePathNoBacksteps(target: string, path: FieldPath): FieldError[] {
  return target.replaceAll("\\", "/").split("/").includes("..")
    ? [invalid(path, target, "must not contain '..'")]
    : [];
}

/** A path below the mount point: relative and without `..` elements. */
export function validateLocalDescendingPath(target: string, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  if (target.startsWith("/")) errors.push(invalid(path, target, "must be a relative path"));
  errors.push(...validatePathNoBacksteps(target, path));
  return errors;
}

function validateLocalNonReservedPath(target: string, path: FieldPath): FieldError[] {
  const errors = validateLocalDescendingPath(target, path);
  if (target.startsWith("..") && !target.startsWith("../")) {
    errors.push(invalid(path, target, "must not start with '..'"));
  }
  return errors;
}

function validateFileMode(mode: unknown, path: FieldPath): FieldError[] {
  if (typeof mode !== "number") return [];
  return mode < 0 || mode > 0o777 ? [invalid(path, mode, fileModeMessage)] : [];
}

function validateKeyToPaths(items: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  recordList(items).forEach((item, i) => {
    const itemPath = path.index(i);
    const target = stringOf(item.path);
    if (isEmpty(item.key)) errors.push(required(itemPath.child("key"), ""));
    if (target === "") errors.push(required(itemPath.child("path"), ""));
    errors.push(...validateLocalNonReservedPath(target, itemPath.child("path")));
    errors.push(...validateFileMode(item.mode, itemPath.child("mode")));
  });
  return errors;
}

function validateDownwardAPIFile(file: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const target = stringOf(file.path);
  if (target === "") errors.push(required(path.child("path"), ""));
  errors.push(...validateLocalNonReservedPath(target, path.child("path")));
  const fieldRef = recordOf(file.fieldRef);
  const resourceFieldRef = recordOf(file.resourceFieldRef);
  if (fieldRef) {
    errors.push(
      ...validateObjectFieldSelector(fieldRef, VOLUME_FIELD_PATHS, path.child("fieldRef")),
    );
    if (resourceFieldRef) {
      errors.push(
        invalid(
          path,
          "resource",
          "fieldRef and resourceFieldRef can not be specified simultaneously",
        ),
      );
    }
  } else if (resourceFieldRef) {
    errors.push(
      ...validateResourceFieldSelector(resourceFieldRef, path.child("resourceFieldRef"), true),
    );
  } else {
    errors.push(required(path, "one of fieldRef and resourceFieldRef is required"));
  }
  errors.push(...validateFileMode(file.mode, path.child("mode")));
  return errors;
}

function validateProjected(value: JsonRecord, path: FieldPath): FieldError[] {
  const errors = validateFileMode(value.defaultMode, path.child("defaultMode"));
  const paths = new Set<string>();
  const claimPath = (target: string, reported: unknown) => {
    if (target === "") return;
    if (paths.has(target)) errors.push(invalid(path, reported, "conflicting duplicate paths"));
    paths.add(target);
  };
  recordList(value.sources).forEach((source, i) => {
    const sourcePath = path.child("sources").index(i);
    let count = 0;
    for (const kind of ["secret", "configMap"]) {
      const ref = recordOf(source[kind]);
      if (!ref) continue;
      count++;
      if (isEmpty(ref.name)) errors.push(required(sourcePath.child(kind).child("name"), ""));
      errors.push(...validateKeyToPaths(ref.items, sourcePath.child(kind).child("items")));
      for (const item of recordList(ref.items)) claimPath(stringOf(item.path), stringOf(ref.name));
    }
    const downward = recordOf(source.downwardAPI);
    if (downward) {
      count++;
      for (const file of recordList(downward.items)) {
        errors.push(...validateDownwardAPIFile(file, sourcePath.child("downwardAPI")));
        claimPath(stringOf(file.path), stringOf(file.path));
      }
    }
    const token = recordOf(source.serviceAccountToken);
    if (token) {
      count++;
      const expiration = typeof token.expirationSeconds === "number" ? token.expirationSeconds : 0;
      const expirationPath = sourcePath.child("serviceAccountToken").child("expirationSeconds");
      if (expiration < 600) {
        errors.push(
          invalid(expirationPath, expiration, "may not specify a duration less than 10 minutes"),
        );
      }
      if (expiration > 2 ** 32) {
        errors.push(
          invalid(
            expirationPath,
            expiration,
            "may not specify a duration larger than 2^32 seconds",
          ),
        );
      }
      const target = stringOf(token.path);
      if (target === "") errors.push(required(path.child("path"), ""));
      else errors.push(...validateLocalNonReservedPath(target, path.child("path")));
    }
    if (isRecord(source.clusterTrustBundle)) count++;
    if (count > 1) {
      errors.push(forbidden(sourcePath, "may not specify more than 1 volume type per source"));
    }
  });
  return errors;
}

function validateEphemeral(
  value: JsonRecord,
  path: FieldPath,
  volumePath: FieldPath,
  volumeName: string,
  podName: string | undefined,
): FieldError[] {
  const template = recordOf(value.volumeClaimTemplate);
  if (!template) return [required(path.child("volumeClaimTemplate"), "")];
  const templatePath = path.child("volumeClaimTemplate");
  const metadata = recordOf(template.metadata) ?? {};
  const errors = [
    ...validateAnnotations(
      recordOf(metadata.annotations) as Record<string, string> | undefined,
      templatePath.child("metadata", "annotations"),
    ),
    ...validateLabels(
      recordOf(metadata.labels) as Record<string, string> | undefined,
      templatePath.child("metadata", "labels"),
    ),
    ...validatePersistentVolumeClaimSpec(recordOf(template.spec) ?? {}, templatePath.child("spec")),
  ];
  for (const field of Object.keys(metadata)) {
    if (field !== "labels" && field !== "annotations") {
      errors.push(forbidden(templatePath.child("metadata", field), "cannot be set"));
    }
  }
  // The claim is named <pod>-<volume>; that name must work as a claim name.
  if (podName && volumeName) {
    const claimName = `${podName}-${volumeName}`;
    for (const message of nameIsDNSSubdomain(claimName, false)) {
      errors.push(
        invalid(volumePath.child("name"), volumeName, `PVC name "${claimName}": ${message}`),
      );
    }
  }
  return errors;
}

function validateImageVolume(value: JsonRecord, path: FieldPath, isPod: boolean): FieldError[] {
  const errors: FieldError[] = [];
  if (isPod && isEmpty(value.reference)) errors.push(required(path.child("reference"), ""));
  const policy = stringOf(value.pullPolicy);
  if (policy === "") errors.push(required(path.child("pullPolicy"), ""));
  else if (!["Always", "IfNotPresent", "Never"].includes(policy)) {
    errors.push(
      notSupported(path.child("pullPolicy"), policy, ["Always", "IfNotPresent", "Never"]),
    );
  }
  return errors;
}

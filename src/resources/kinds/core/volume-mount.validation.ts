/**
 * Volume mounts and block devices of a container (upstream ValidateVolumeMounts and
 * ValidateVolumeDevices): they must name the pod's volumes, and no path may be used twice.
 */
import {
  type FieldError,
  forbidden,
  invalid,
  notFound,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { isRecord, type JsonRecord, recordOf, stringOf } from "./json-value.ts";
import { validateLocalDescendingPath, validatePathNoBacksteps } from "./volume.validation.ts";

const mountPropagations = ["Bidirectional", "HostToContainer", "None"];

export function validateVolumeMounts(
  mounts: JsonRecord[],
  devices: JsonRecord[],
  container: JsonRecord,
  volumes: ReadonlyMap<string, JsonRecord>,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const mountPoints = new Set<string>();
  const deviceNames = new Set(devices.map((d) => stringOf(d.name)));
  const devicePaths = new Set(devices.map((d) => stringOf(d.devicePath)));
  const privileged = recordOf(container.securityContext)?.privileged === true;
  mounts.forEach((mount, i) => {
    const itemPath = path.index(i);
    const name = stringOf(mount.name);
    const mountPath = stringOf(mount.mountPath);
    if (name === "") errors.push(required(itemPath.child("name"), ""));
    if (!volumes.has(name)) errors.push(notFound(itemPath.child("name"), name));
    if (mountPath === "") errors.push(required(itemPath.child("mountPath"), ""));
    if (mountPoints.has(mountPath)) {
      errors.push(invalid(itemPath.child("mountPath"), mountPath, "must be unique"));
    }
    mountPoints.add(mountPath);
    if (deviceNames.has(name)) {
      errors.push(invalid(itemPath.child("name"), name, "must not already exist in volumeDevices"));
    }
    if (devicePaths.has(mountPath)) {
      errors.push(
        invalid(
          itemPath.child("mountPath"),
          mountPath,
          "must not already exist as a path in volumeDevices",
        ),
      );
    }
    const subPath = stringOf(mount.subPath);
    const subPathExpr = stringOf(mount.subPathExpr);
    if (isRecord(volumes.get(name)?.image)) {
      if (subPath !== "") {
        errors.push(
          invalid(itemPath.child("subPath"), subPath, "not allowed in image volume sources"),
        );
      }
      if (subPathExpr !== "") {
        errors.push(
          invalid(
            itemPath.child("subPathExpr"),
            subPathExpr,
            "not allowed in image volume sources",
          ),
        );
      }
    }
    // Upstream reports subPath problems at the list's path, without the index.
    if (subPath !== "") errors.push(...validateLocalDescendingPath(subPath, path.child("subPath")));
    if (subPathExpr !== "") {
      if (subPath !== "") {
        errors.push(
          invalid(
            itemPath.child("subPathExpr"),
            subPathExpr,
            "subPathExpr and subPath are mutually exclusive",
          ),
        );
      }
      errors.push(...validateLocalDescendingPath(subPathExpr, path.child("subPathExpr")));
    }
    const propagation = mount.mountPropagation;
    if (typeof propagation === "string") {
      const propagationPath = path.child("mountPropagation");
      if (!mountPropagations.includes(propagation)) {
        errors.push(notSupported(propagationPath, propagation, mountPropagations));
      }
      if (propagation === "Bidirectional" && !privileged) {
        errors.push(
          forbidden(
            propagationPath,
            "Bidirectional mount propagation is available only to privileged containers",
          ),
        );
      }
    }
    errors.push(...validateRecursiveReadOnly(mount, path.child("recursiveReadOnly")));
  });
  return errors;
}

function validateRecursiveReadOnly(mount: JsonRecord, path: FieldPath): FieldError[] {
  const mode = mount.recursiveReadOnly;
  if (typeof mode !== "string" || mode === "Disabled") return [];
  if (mode !== "Enabled" && mode !== "IfPossible") {
    return [notSupported(path, mode, ["Disabled", "Enabled", "IfPossible"])];
  }
  const errors: FieldError[] = [];
  if (mount.readOnly !== true) {
    errors.push(forbidden(path, "may only be specified when readOnly is true"));
  }
  if (typeof mount.mountPropagation === "string" && mount.mountPropagation !== "None") {
    errors.push(
      forbidden(path, "may only be specified when mountPropagation is None or not specified"),
    );
  }
  return errors;
}

export function validateVolumeDevices(
  devices: JsonRecord[],
  mounts: JsonRecord[],
  volumes: ReadonlyMap<string, JsonRecord>,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  const paths = new Set<string>();
  const mountNames = new Set(mounts.map((m) => stringOf(m.name)));
  const mountPaths = new Set(mounts.map((m) => stringOf(m.mountPath)));
  devices.forEach((device, i) => {
    const itemPath = path.index(i);
    const name = stringOf(device.name);
    const devicePath = stringOf(device.devicePath);
    const volume = volumes.get(name);
    if (name === "") errors.push(required(itemPath.child("name"), ""));
    if (names.has(name)) errors.push(invalid(itemPath.child("name"), name, "must be unique"));
    if (volume && !isRecord(volume.persistentVolumeClaim) && !isRecord(volume.ephemeral)) {
      errors.push(
        invalid(
          itemPath.child("name"),
          name,
          "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
        ),
      );
    }
    if (!volume) errors.push(notFound(itemPath.child("name"), name));
    if (devicePath === "") errors.push(required(itemPath.child("devicePath"), ""));
    if (paths.has(devicePath)) {
      errors.push(invalid(itemPath.child("devicePath"), devicePath, "must be unique"));
    }
    if (devicePath !== "" && validatePathNoBacksteps(devicePath, itemPath).length > 0) {
      errors.push(
        invalid(itemPath.child("devicePath"), devicePath, "can not contain backsteps ('..')"),
      );
    } else {
      paths.add(devicePath);
    }
    if (mountNames.has(name)) {
      errors.push(invalid(itemPath.child("name"), name, "must not already exist in volumeMounts"));
    }
    if (mountPaths.has(devicePath)) {
      errors.push(
        invalid(
          itemPath.child("devicePath"),
          devicePath,
          "must not already exist as a path in volumeMounts",
        ),
      );
    }
    if (name !== "") names.add(name);
  });
  return errors;
}

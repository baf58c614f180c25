/**
 * Pod and container security contexts (upstream validatePodSpecSecurityContext and
 * ValidateSecurityContext): user and group ids, sysctls, seccomp and AppArmor profiles.
 * Privileged containers are allowed: kubun runs with the equivalent of
 * `--allow-privileged=true`, as kubeadm and k3s clusters do.
 */
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { inclusiveRangeError } from "../../validation/validation-messages.ts";
import { type JsonRecord, recordList, recordOf, stringList, stringOf } from "./json-value.ts";
import { validateLocalDescendingPath } from "./volume.validation.ts";

const maxId = 0xffffffff;
const sysctlSegmentFmt = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?";
const sysctlFmt = `(${sysctlSegmentFmt}[\\./])*${sysctlSegmentFmt}`;
const sysctlRegexp = new RegExp(`^${sysctlFmt}$`);
const sysctlMaxLength = 253;

/**
 * Namespaced sysctls a pod sharing the host's network or IPC namespace would set on the
 * node itself (upstream utilsysctl.GetNamespace).
 */
function sysctlNamespace(name: string): "net" | "ipc" | undefined {
  const normalized = name.replaceAll("/", ".");
  if (normalized.startsWith("net.")) return "net";
  if (
    normalized.startsWith("kernel.shm") ||
    normalized.startsWith("kernel.msg") ||
    normalized === "kernel.sem" ||
    normalized.startsWith("fs.mqueue.")
  ) {
    return "ipc";
  }
  return undefined;
}
const profileTypes = ["Localhost", "RuntimeDefault", "Unconfined"];

function validateId(value: unknown, path: FieldPath): FieldError[] {
  if (typeof value !== "number" || (value >= 0 && value <= maxId)) return [];
  return [invalid(path, value, inclusiveRangeError(0, maxId))];
}

export function validatePodSecurityContext(
  context: JsonRecord | undefined,
  hostNetwork: boolean,
  hostIPC: boolean,
  path: FieldPath,
): FieldError[] {
  if (!context) return [];
  const errors = [
    ...validateId(context.fsGroup, path.child("fsGroup")),
    ...validateId(context.runAsUser, path.child("runAsUser")),
    ...validateId(context.runAsGroup, path.child("runAsGroup")),
  ];
  (Array.isArray(context.supplementalGroups) ? context.supplementalGroups : []).forEach(
    (gid, i) => {
      errors.push(...validateId(gid, path.child("supplementalGroups").index(i)));
    },
  );
  const names = new Set<string>();
  recordList(context.sysctls).forEach((sysctl, i) => {
    const namePath = path.child("sysctls").index(i).child("name");
    const name = stringOf(sysctl.name);
    if (name === "") errors.push(required(namePath, ""));
    else if (name.length > sysctlMaxLength || !sysctlRegexp.test(name)) {
      errors.push(
        invalid(
          namePath,
          name,
          `must have at most ${sysctlMaxLength} characters and match regex ^${sysctlFmt}$`,
        ),
      );
    } else if (names.has(name)) errors.push(duplicate(namePath, name));
    const namespace = sysctlNamespace(name);
    if (hostNetwork && namespace === "net") {
      errors.push(invalid(namePath, name, "may not be specified when 'hostNetwork' is true"));
    } else if (hostIPC && namespace === "ipc") {
      errors.push(invalid(namePath, name, "may not be specified when 'hostIPC' is true"));
    }
    names.add(name);
  });
  const policy = context.fsGroupChangePolicy;
  if (typeof policy === "string" && policy !== "Always" && policy !== "OnRootMismatch") {
    errors.push(
      notSupported(path.child("fsGroupChangePolicy"), policy, ["Always", "OnRootMismatch"]),
    );
  }
  const groupsPolicy = context.supplementalGroupsPolicy;
  if (typeof groupsPolicy === "string" && groupsPolicy !== "Merge" && groupsPolicy !== "Strict") {
    errors.push(
      notSupported(path.child("supplementalGroupsPolicy"), groupsPolicy, ["Merge", "Strict"]),
    );
  }
  const selinuxPolicy = context.seLinuxChangePolicy;
  if (
    typeof selinuxPolicy === "string" &&
    selinuxPolicy !== "MountOption" &&
    selinuxPolicy !== "Recursive"
  ) {
    errors.push(
      notSupported(path.child("seLinuxChangePolicy"), selinuxPolicy, ["MountOption", "Recursive"]),
    );
  }
  errors.push(
    ...validateSeccompProfile(recordOf(context.seccompProfile), path.child("seccompProfile")),
  );
  errors.push(
    ...validateAppArmorProfile(recordOf(context.appArmorProfile), path.child("appArmorProfile")),
  );
  return errors;
}

export function validateContainerSecurityContext(
  context: JsonRecord | undefined,
  hostUsers: boolean,
  path: FieldPath,
): FieldError[] {
  if (!context) return [];
  const errors = [
    ...validateId(context.runAsUser, path.child("runAsUser")),
    ...validateId(context.runAsGroup, path.child("runAsGroup")),
  ];
  const procMount = context.procMount;
  if (typeof procMount === "string") {
    if (procMount !== "Default" && procMount !== "Unmasked") {
      errors.push(notSupported(path.child("procMount"), procMount, ["Default", "Unmasked"]));
    }
    if (hostUsers && procMount === "Unmasked") {
      errors.push(
        invalid(path.child("procMount"), procMount, "`hostUsers` must be false to use `Unmasked`"),
      );
    }
  }
  errors.push(
    ...validateSeccompProfile(recordOf(context.seccompProfile), path.child("seccompProfile")),
  );
  if (context.allowPrivilegeEscalation === false) {
    if (context.privileged === true) {
      errors.push(
        invalid(
          path,
          context,
          "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
        ),
      );
    }
    if (stringList(recordOf(context.capabilities)?.add).includes("CAP_SYS_ADMIN")) {
      errors.push(
        invalid(
          path,
          context,
          "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
        ),
      );
    }
  }
  errors.push(
    ...validateAppArmorProfile(recordOf(context.appArmorProfile), path.child("appArmorProfile")),
  );
  return errors;
}

function validateSeccompProfile(profile: JsonRecord | undefined, path: FieldPath): FieldError[] {
  if (!profile) return [];
  const errors: FieldError[] = [];
  const type = stringOf(profile.type);
  if (type === "") {
    errors.push(required(path.child("type"), "type is required when seccompProfile is set"));
  } else if (!profileTypes.includes(type)) {
    errors.push(notSupported(path.child("type"), type, profileTypes));
  }
  const localhost = profile.localhostProfile;
  if (type === "Localhost") {
    if (typeof localhost !== "string") {
      errors.push(
        required(path.child("localhostProfile"), "must be set when seccomp type is Localhost"),
      );
    } else {
      errors.push(...validateLocalDescendingPath(localhost, path.child("localhostProfile")));
    }
  } else if (localhost !== undefined && localhost !== null) {
    errors.push(
      invalid(
        path.child("localhostProfile"),
        profile,
        "can only be set when seccomp type is Localhost",
      ),
    );
  }
  return errors;
}

function validateAppArmorProfile(profile: JsonRecord | undefined, path: FieldPath): FieldError[] {
  if (!profile) return [];
  const type = stringOf(profile.type);
  const localhost = profile.localhostProfile;
  const localhostPath = path.child("localhostProfile");
  switch (type) {
    case "Localhost": {
      if (typeof localhost !== "string") {
        return [required(localhostPath, "must be set when AppArmor type is Localhost")];
      }
      const errors: FieldError[] = [];
      if (localhost.trim() !== localhost) {
        errors.push(invalid(localhostPath, localhost, "must not be padded with whitespace"));
      } else if (localhost === "") {
        errors.push(required(localhostPath, "must be set when AppArmor type is Localhost"));
      }
      // PATH_MAX - 1.
      if (localhost.length > 4095) errors.push(tooLong(localhostPath, 4095));
      return errors;
    }
    case "RuntimeDefault":
    case "Unconfined":
      return localhost === undefined || localhost === null
        ? []
        : [invalid(localhostPath, localhost, "can only be set when AppArmor type is Localhost")];
    case "":
      return [required(path.child("type"), "type is required when appArmorProfile is set")];
    default:
      return [notSupported(path.child("type"), type, profileTypes)];
  }
}

/** User namespaces (hostUsers: false) cannot be combined with the host's other namespaces. */
export function validateHostUsers(spec: JsonRecord, path: FieldPath): FieldError[] {
  if (spec.hostUsers !== false) return [];
  const errors: FieldError[] = [];
  const detail = "when `pod.Spec.HostUsers` is false";
  if (spec.hostNetwork === true) errors.push(forbidden(path.child("hostNetwork"), detail));
  if (spec.hostPID === true) errors.push(forbidden(path.child("HostPID"), detail));
  if (spec.hostIPC === true) errors.push(forbidden(path.child("HostIPC"), detail));
  return errors;
}

/**
 * Containers of a PodSpec (upstream validateContainers, validateInitContainers,
 * validateEphemeralContainers and validateContainerCommon): names unique across all
 * container kinds, an image, ports, env, mounts of existing volumes and resources.
 */

import { isDNS1123Label } from "../../validation/dns-name.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notFound,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { isValidPortName, isValidPortNum } from "../../validation/port.ts";
import { validateEnv, validateEnvFrom } from "./env.validation.ts";
import { isRecord, type JsonRecord, recordList, recordOf, stringOf } from "./json-value.ts";
import {
  validateLifecycle,
  validateLivenessProbe,
  validateReadinessProbe,
  validateStartupProbe,
} from "./probe.validation.ts";
import { validateResourceRequirements } from "./resource-requirements.ts";
import { validateContainerSecurityContext } from "./security-context.validation.ts";
import { validateVolumeDevices, validateVolumeMounts } from "./volume-mount.validation.ts";

export const PROTOCOLS: readonly string[] = ["SCTP", "TCP", "UDP"];
const pullPolicies = ["Always", "IfNotPresent", "Never"];
const terminationMessagePolicies = ["File", "FallbackToLogsOnError"];

/** What every container of one pod is checked against. */
export interface ContainerContext {
  volumes: ReadonlyMap<string, JsonRecord>;
  podClaimNames: ReadonlySet<string>;
  gracePeriod: number | undefined;
  restartPolicy: string;
  hostUsers: boolean;
}

export function validateContainers(
  containers: unknown,
  context: ContainerContext,
  path: FieldPath,
): FieldError[] {
  const list = recordList(containers);
  if (list.length === 0) return [required(path, "")];
  const errors: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((container, i) => {
    const itemPath = path.index(i);
    errors.push(...validateContainerCommon(container, context, itemPath));
    const name = stringOf(container.name);
    // Collisions with init and ephemeral containers are reported there, not twice.
    if (names.has(name)) errors.push(duplicate(itemPath.child("name"), name));
    else names.add(name);
    errors.push(...validateProbesAndLifecycle(container, context, itemPath));
    if (container.restartPolicy !== undefined && container.restartPolicy !== null) {
      errors.push(
        forbidden(itemPath.child("restartPolicy"), "may not be set for non-init containers"),
      );
    }
  });
  errors.push(...checkHostPortConflicts(list, path));
  return errors;
}

export function validateInitContainers(
  containers: unknown,
  regularContainers: unknown,
  context: ContainerContext,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set(recordList(regularContainers).map((c) => stringOf(c.name)));
  recordList(containers).forEach((container, i) => {
    const itemPath = path.index(i);
    errors.push(...validateContainerCommon(container, context, itemPath));
    let restartAlways = false;
    if (typeof container.restartPolicy === "string") {
      restartAlways = container.restartPolicy === "Always";
      if (!restartAlways) {
        errors.push(
          notSupported(itemPath.child("restartPolicy"), container.restartPolicy, ["Always"]),
        );
      }
    }
    const name = stringOf(container.name);
    if (names.has(name)) errors.push(duplicate(itemPath.child("name"), name));
    else if (name !== "") names.add(name);
    // Init containers run one at a time, so only their own ports can collide.
    errors.push(...checkHostPortConflicts([container], path));
    if (restartAlways) {
      errors.push(...validateProbesAndLifecycle(container, context, itemPath));
    } else {
      for (const field of ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"]) {
        if (container[field] !== undefined && container[field] !== null) {
          errors.push(
            forbidden(
              itemPath.child(field),
              "may not be set for init containers without restartPolicy=Always",
            ),
          );
        }
      }
    }
  });
  return errors;
}

/** Fields an ephemeral (debug) container may not use: it must not be relied upon. */
const ephemeralForbiddenFields = [
  "ports",
  "resources",
  "livenessProbe",
  "readinessProbe",
  "startupProbe",
  "lifecycle",
  "resizePolicy",
  "restartPolicy",
];

export function validateEphemeralContainers(
  containers: unknown,
  spec: JsonRecord,
  context: ContainerContext,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const others = new Set(
    [...recordList(spec.containers), ...recordList(spec.initContainers)].map((c) =>
      stringOf(c.name),
    ),
  );
  const names = new Set(others);
  recordList(containers).forEach((container, i) => {
    const itemPath = path.index(i);
    errors.push(...validateContainerCommon(container, context, itemPath));
    errors.push(...validateImageWhitespace(container, itemPath));
    const name = stringOf(container.name);
    if (names.has(name)) errors.push(duplicate(itemPath.child("name"), name));
    else names.add(name);
    const target = stringOf(container.targetContainerName);
    if (target !== "" && !others.has(target)) {
      errors.push(notFound(itemPath.child("targetContainerName"), target));
    }
    for (const field of ephemeralForbiddenFields) {
      const value = container[field];
      if (
        value !== undefined &&
        value !== null &&
        !(isRecord(value) && Object.keys(value).length === 0)
      ) {
        errors.push(forbidden(itemPath.child(field), "cannot be set for an Ephemeral Container"));
      }
    }
    recordList(container.volumeMounts).forEach((mount, j) => {
      for (const field of ["subPath", "subPathExpr"]) {
        if (stringOf(mount[field]) !== "") {
          errors.push(
            forbidden(
              itemPath.child("volumeMounts").index(j).child(field),
              "cannot be set for an Ephemeral Container",
            ),
          );
        }
      }
    });
  });
  return errors;
}

/** Pods only: templates tolerate a padded image, which some tools use as a placeholder. */
export function validateImageWhitespace(container: JsonRecord, path: FieldPath): FieldError[] {
  const image = stringOf(container.image);
  return image.trim().length !== image.length
    ? [invalid(path.child("image"), image, "must not have leading or trailing whitespace")]
    : [];
}

function validateProbesAndLifecycle(
  container: JsonRecord,
  context: ContainerContext,
  path: FieldPath,
): FieldError[] {
  const options = { gracePeriod: context.gracePeriod };
  const lifecycle = recordOf(container.lifecycle);
  return [
    ...(lifecycle ? validateLifecycle(lifecycle, path.child("lifecycle"), options) : []),
    ...validateLivenessProbe(container.livenessProbe, path.child("livenessProbe"), options),
    ...validateReadinessProbe(container.readinessProbe, path.child("readinessProbe"), options),
    ...validateStartupProbe(container.startupProbe, path.child("startupProbe"), options),
  ];
}

function validateContainerCommon(
  container: JsonRecord,
  context: ContainerContext,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const name = stringOf(container.name);
  if (name === "") errors.push(required(path.child("name"), ""));
  else errors.push(...isDNS1123Label(name).map((m) => invalid(path.child("name"), name, m)));
  if (stringOf(container.image) === "") errors.push(required(path.child("image"), ""));
  const messagePolicy = stringOf(container.terminationMessagePolicy);
  if (messagePolicy === "") errors.push(required(path.child("terminationMessagePolicy"), ""));
  else if (!terminationMessagePolicies.includes(messagePolicy)) {
    errors.push(
      notSupported(
        path.child("terminationMessagePolicy"),
        messagePolicy,
        terminationMessagePolicies,
      ),
    );
  }
  const mounts = recordList(container.volumeMounts);
  const devices = recordList(container.volumeDevices);
  errors.push(...validateContainerPorts(container.ports, path.child("ports")));
  errors.push(...validateEnv(container.env, path.child("env")));
  errors.push(...validateEnvFrom(container.envFrom, path.child("envFrom")));
  errors.push(
    ...validateVolumeMounts(
      mounts,
      devices,
      container,
      context.volumes,
      path.child("volumeMounts"),
    ),
  );
  errors.push(
    ...validateVolumeDevices(devices, mounts, context.volumes, path.child("volumeDevices")),
  );
  const pullPolicy = stringOf(container.imagePullPolicy);
  if (pullPolicy === "") errors.push(required(path.child("imagePullPolicy"), ""));
  else if (!pullPolicies.includes(pullPolicy)) {
    errors.push(notSupported(path.child("imagePullPolicy"), pullPolicy, pullPolicies));
  }
  errors.push(
    ...validateResourceRequirements(
      container.resources,
      path.child("resources"),
      context.podClaimNames,
    ),
  );
  errors.push(
    ...validateResizePolicy(
      container.resizePolicy,
      context.restartPolicy,
      path.child("resizePolicy"),
    ),
  );
  errors.push(
    ...validateContainerSecurityContext(
      recordOf(container.securityContext),
      context.hostUsers,
      path.child("securityContext"),
    ),
  );
  return errors;
}

export function validateContainerPorts(ports: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  recordList(ports).forEach((port, i) => {
    const itemPath = path.index(i);
    const name = stringOf(port.name);
    if (name !== "") {
      const messages = isValidPortName(name);
      if (messages.length > 0) {
        errors.push(...messages.map((m) => invalid(itemPath.child("name"), name, m)));
      } else if (names.has(name)) errors.push(duplicate(itemPath.child("name"), name));
      else names.add(name);
    }
    const containerPort = port.containerPort;
    if (containerPort === undefined || containerPort === null || containerPort === 0) {
      errors.push(required(itemPath.child("containerPort"), ""));
    } else {
      const value = typeof containerPort === "number" ? containerPort : Number.NaN;
      errors.push(
        ...isValidPortNum(value).map((m) =>
          invalid(itemPath.child("containerPort"), containerPort, m),
        ),
      );
    }
    const hostPort = port.hostPort;
    if (hostPort !== undefined && hostPort !== null && hostPort !== 0) {
      const value = typeof hostPort === "number" ? hostPort : Number.NaN;
      errors.push(
        ...isValidPortNum(value).map((m) => invalid(itemPath.child("hostPort"), hostPort, m)),
      );
    }
    const protocol = stringOf(port.protocol);
    if (protocol === "") errors.push(required(itemPath.child("protocol"), ""));
    else if (!PROTOCOLS.includes(protocol)) {
      errors.push(notSupported(itemPath.child("protocol"), protocol, PROTOCOLS));
    }
  });
  return errors;
}

function checkHostPortConflicts(containers: JsonRecord[], path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((container, i) => {
    recordList(container.ports).forEach((port, j) => {
      const hostPort = port.hostPort;
      if (!hostPort) return;
      const key = `${stringOf(port.protocol)}/${stringOf(port.hostIP)}/${String(hostPort)}`;
      if (seen.has(key)) {
        errors.push(duplicate(path.index(i).child("ports").index(j).child("hostPort"), key));
      }
      seen.add(key);
    });
  });
  return errors;
}

function validateResizePolicy(
  policies: unknown,
  podRestartPolicy: string,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  recordList(policies).forEach((policy, i) => {
    const resource = stringOf(policy.resourceName);
    const restart = stringOf(policy.restartPolicy);
    if (seen.has(resource)) errors.push(duplicate(path.index(i), resource));
    seen.add(resource);
    if (resource === "") errors.push(required(path, ""));
    else if (resource !== "cpu" && resource !== "memory") {
      errors.push(notSupported(path, resource, ["cpu", "memory"]));
    }
    if (restart === "") errors.push(required(path, ""));
    else if (restart !== "NotRequired" && restart !== "RestartContainer") {
      errors.push(notSupported(path, restart, ["NotRequired", "RestartContainer"]));
    }
    if (podRestartPolicy === "Never" && restart !== "NotRequired") {
      errors.push(invalid(path, restart, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
    }
  });
  return errors;
}

/**
 * PodSpec and PodTemplateSpec rules (upstream ValidatePodSpec, ValidatePodTemplateSpec),
 * shared by Pods, PodTemplates, ReplicationControllers and the workload kinds.
 */

import { isDNS1123Label, isDNS1123Subdomain } from "../../validation/dns-name.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { isValidIP } from "../../validation/ip-address.ts";
import { validateAnnotations, validateLabels } from "../../validation/labels-and-annotations.ts";
import {
  nameIsDNSSubdomain,
  validateServiceAccountName,
} from "../../validation/name-validators.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import {
  inclusiveRangeError,
  maxLenError,
  regexError,
} from "../../validation/validation-messages.ts";
import {
  type ContainerContext,
  validateContainers,
  validateEphemeralContainers,
  validateInitContainers,
} from "./container.validation.ts";
import {
  isRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringMap,
  stringOf,
} from "./json-value.ts";
import { validateResourceRequirements } from "./resource-requirements.ts";
import {
  validateAffinity,
  validateTolerations,
  validateTopologySpreadConstraints,
} from "./scheduling.validation.ts";
import { validateHostUsers, validatePodSecurityContext } from "./security-context.validation.ts";
import { validateVolumes } from "./volume.validation.ts";

export const RESTART_POLICIES: readonly string[] = ["Always", "OnFailure", "Never"];
const dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const maxInt32 = 2147483647;
const maxNameservers = 3;
const maxSearchPaths = 32;
const maxSearchListChars = 2048;

export interface PodSpecOptions {
  /** Set when validating a real Pod (not a template): enables pod-only checks. */
  podName?: string;
  isPod: boolean;
}

export function validatePodSpec(
  spec: JsonRecord,
  path: FieldPath,
  options: PodSpecOptions,
): FieldError[] {
  const errors: FieldError[] = [];
  const grace = spec.terminationGracePeriodSeconds;
  if (grace === undefined || grace === null) {
    errors.push(required(path.child("terminationGracePeriodSeconds"), ""));
  }
  const restartPolicy = stringOf(spec.restartPolicy);
  const hostUsers = spec.hostUsers !== false;
  const volumes = validateVolumes(
    spec.volumes,
    path.child("volumes"),
    options.isPod ? options.podName : undefined,
  );
  errors.push(...volumes.errors);
  const claims = validatePodResourceClaims(spec.resourceClaims, path.child("resourceClaims"));
  errors.push(...claims.errors);
  const context: ContainerContext = {
    volumes: volumes.volumes,
    podClaimNames: claims.names,
    gracePeriod: typeof grace === "number" ? grace : undefined,
    restartPolicy,
    hostUsers,
  };
  errors.push(...validateContainers(spec.containers, context, path.child("containers")));
  errors.push(
    ...validateInitContainers(
      spec.initContainers,
      spec.containers,
      context,
      path.child("initContainers"),
    ),
  );
  errors.push(
    ...validateEphemeralContainers(
      spec.ephemeralContainers,
      spec,
      context,
      path.child("ephemeralContainers"),
    ),
  );
  errors.push(...validateHostNetworkPorts(spec, path, options.isPod));
  if (restartPolicy === "") errors.push(required(path.child("restartPolicy"), ""));
  else if (!RESTART_POLICIES.includes(restartPolicy)) {
    errors.push(notSupported(path.child("restartPolicy"), restartPolicy, RESTART_POLICIES));
  }
  const dnsPolicy = stringOf(spec.dnsPolicy);
  if (dnsPolicy === "") errors.push(required(path.child("dnsPolicy"), ""));
  else if (!dnsPolicies.includes(dnsPolicy)) {
    errors.push(notSupported(path.child("dnsPolicy"), dnsPolicy, dnsPolicies));
  }
  errors.push(...validateLabels(stringMap(spec.nodeSelector), path.child("nodeSelector")));
  const securityPath = path.child("securityContext");
  errors.push(
    ...validatePodSecurityContext(
      recordOf(spec.securityContext),
      spec.hostNetwork === true,
      spec.hostIPC === true,
      securityPath,
    ),
  );
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errors.push(
      invalid(
        securityPath.child("shareProcessNamespace"),
        true,
        "ShareProcessNamespace and HostPID cannot both be enabled",
      ),
    );
  }
  recordList(spec.imagePullSecrets).forEach((secret, i) => {
    if (Object.keys(secret).some((key) => key !== "name")) {
      errors.push(invalid(path.child("imagePullSecrets").index(i), secret, "only name may be set"));
    }
  });
  errors.push(...validateAffinity(spec.affinity, path.child("affinity")));
  errors.push(...validateDNSConfig(recordOf(spec.dnsConfig), dnsPolicy, path.child("dnsConfig")));
  recordList(spec.readinessGates).forEach((gate, i) => {
    const type = stringOf(gate.conditionType);
    const gatePath = path.child("readinessGates").index(i).child("conditionType");
    errors.push(...isQualifiedName(type).map((m) => invalid(gatePath, type, m)));
  });
  errors.push(...validateSchedulingGates(spec.schedulingGates, path.child("schedulingGates")));
  errors.push(
    ...validateTopologySpreadConstraints(
      spec.topologySpreadConstraints,
      path.child("topologySpreadConstraints"),
    ),
  );
  errors.push(...validateHostUsers(spec, path));
  errors.push(
    ...validateNamed(
      spec.serviceAccountName,
      path.child("serviceAccountName"),
      validateServiceAccountName,
    ),
  );
  errors.push(...validateNamed(spec.nodeName, path.child("nodeName"), nameIsDNSSubdomain));
  const deadline = spec.activeDeadlineSeconds;
  if (typeof deadline === "number" && (deadline < 1 || deadline > maxInt32)) {
    errors.push(
      invalid(path.child("activeDeadlineSeconds"), deadline, inclusiveRangeError(1, maxInt32)),
    );
  }
  for (const field of ["hostname", "subdomain"]) {
    const value = stringOf(spec[field]);
    if (value !== "") {
      errors.push(...isDNS1123Label(value).map((m) => invalid(path.child(field), value, m)));
    }
  }
  errors.push(...validateTolerations(spec.tolerations, path.child("tolerations")));
  recordList(spec.hostAliases).forEach((alias, i) => {
    const aliasPath = path.child("hostAliases").index(i);
    errors.push(...isValidIP(aliasPath.child("ip"), stringOf(alias.ip)));
    stringList(alias.hostnames).forEach((hostname, j) => {
      errors.push(
        ...isDNS1123Subdomain(hostname).map((m) =>
          invalid(aliasPath.child("hostnames").index(j), hostname, m),
        ),
      );
    });
  });
  errors.push(
    ...validateNamed(spec.priorityClassName, path.child("priorityClassName"), nameIsDNSSubdomain),
  );
  if (typeof spec.runtimeClassName === "string") {
    const name = spec.runtimeClassName;
    errors.push(
      ...nameIsDNSSubdomain(name, false).map((m) =>
        invalid(path.child("runtimeClassName"), name, m),
      ),
    );
  }
  const preemption = spec.preemptionPolicy;
  if (typeof preemption === "string") {
    if (preemption === "") errors.push(required(path.child("preemptionPolicy"), ""));
    else if (preemption !== "PreemptLowerPriority" && preemption !== "Never") {
      errors.push(
        notSupported(path.child("preemptionPolicy"), preemption, ["PreemptLowerPriority", "Never"]),
      );
    }
  }
  if (isRecord(spec.overhead)) {
    errors.push(
      ...validateResourceRequirements(
        { limits: spec.overhead },
        path.child("overhead"),
        claims.names,
      ),
    );
  }
  errors.push(...validateOS(spec, path));
  return errors;
}

/** Labels, annotations and spec of an embedded pod template; ephemeral containers are pod-only. */
export function validatePodTemplateSpec(template: JsonRecord, path: FieldPath): FieldError[] {
  const metadata = recordOf(template.metadata) ?? {};
  const spec = recordOf(template.spec) ?? {};
  const errors = [
    // Upstream reports these at `template.labels`, without `metadata`.
    ...validateLabels(stringMap(metadata.labels), path.child("labels")),
    ...validateAnnotations(stringMap(metadata.annotations), path.child("annotations")),
    ...validatePodSpec(spec, path.child("spec"), { isPod: false }),
  ];
  if (recordList(spec.ephemeralContainers).length > 0) {
    errors.push(
      forbidden(
        path.child("spec", "ephemeralContainers"),
        "ephemeral containers not allowed in pod template",
      ),
    );
  }
  return errors;
}

function validateNamed(
  value: unknown,
  path: FieldPath,
  validator: (name: string, prefix: boolean) => string[],
): FieldError[] {
  const name = stringOf(value);
  return name === "" ? [] : validator(name, false).map((m) => invalid(path, name, m));
}

/** A pod on the host network listens on the node: its host ports are its container ports. */
function validateHostNetworkPorts(spec: JsonRecord, path: FieldPath, isPod: boolean): FieldError[] {
  if (spec.hostNetwork !== true) return [];
  const errors: FieldError[] = [];
  recordList(spec.containers).forEach((container, i) => {
    recordList(container.ports).forEach((port, j) => {
      const hostPort = typeof port.hostPort === "number" ? port.hostPort : 0;
      // Templates may leave it 0: it is defaulted when the pod is created.
      if ((isPod || hostPort !== 0) && hostPort !== port.containerPort) {
        errors.push(
          invalid(
            path.child("containers").index(i).child("ports").index(j).child("hostPort"),
            hostPort,
            "must match `containerPort` when `hostNetwork` is true",
          ),
        );
      }
    });
  });
  return errors;
}

function validatePodResourceClaims(
  claims: unknown,
  path: FieldPath,
): { names: Set<string>; errors: FieldError[] } {
  const names = new Set<string>();
  const errors: FieldError[] = [];
  recordList(claims).forEach((claim, i) => {
    const itemPath = path.index(i);
    const name = stringOf(claim.name);
    if (name === "") errors.push(required(itemPath.child("name"), ""));
    else if (names.has(name)) errors.push(duplicate(itemPath.child("name"), name));
    else {
      errors.push(...isDNS1123Label(name).map((m) => invalid(itemPath.child("name"), name, m)));
      names.add(name);
    }
    const hasClaim = typeof claim.resourceClaimName === "string";
    const hasTemplate = typeof claim.resourceClaimTemplateName === "string";
    if (hasClaim && hasTemplate) {
      errors.push(
        invalid(
          itemPath,
          claim,
          "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified",
        ),
      );
    }
    if (!hasClaim && !hasTemplate) {
      errors.push(
        invalid(
          itemPath,
          claim,
          "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
        ),
      );
    }
  });
  return { names, errors };
}

function validateSchedulingGates(gates: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  recordList(gates).forEach((gate, i) => {
    const name = stringOf(gate.name);
    errors.push(...isQualifiedName(name).map((m) => invalid(path.index(i), name, m)));
    if (seen.has(name)) errors.push(duplicate(path.index(i), name));
    seen.add(name);
  });
  return errors;
}

const subdomainWithUnderscoreFmt =
  "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*";
const subdomainWithUnderscore = new RegExp(`^${subdomainWithUnderscoreFmt}$`);

/**
 * DNS search domains may contain underscores (RelaxedDNSSearchValidation, on by default
 * since 1.33), for SRV-style names like `_sip._tcp.example.com`.
 */
function isSearchDomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push(maxLenError(253));
  if (!subdomainWithUnderscore.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character",
        subdomainWithUnderscoreFmt,
        "example.com",
      ),
    );
  }
  return errors;
}

function validateDNSConfig(
  config: JsonRecord | undefined,
  dnsPolicy: string,
  path: FieldPath,
): FieldError[] {
  if (dnsPolicy === "None") {
    if (!config) return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")];
    if (stringList(config.nameservers).length === 0) {
      return [
        required(
          path.child("nameservers"),
          "must provide at least one DNS nameserver when `dnsPolicy` is None",
        ),
      ];
    }
  }
  if (!config) return [];
  const errors: FieldError[] = [];
  const nameservers = stringList(config.nameservers);
  if (nameservers.length > maxNameservers) {
    errors.push(
      invalid(
        path.child("nameservers"),
        nameservers,
        `must not have more than ${maxNameservers} nameservers`,
      ),
    );
  }
  nameservers.forEach((server, i) => {
    errors.push(...isValidIP(path.child("nameservers").index(i), server));
  });
  const searches = stringList(config.searches);
  if (searches.length > maxSearchPaths) {
    errors.push(
      invalid(
        path.child("searches"),
        searches,
        `must not have more than ${maxSearchPaths} search paths`,
      ),
    );
  }
  if (searches.join(" ").length > maxSearchListChars) {
    errors.push(
      invalid(
        path.child("searches"),
        searches,
        `must not have more than ${maxSearchListChars} characters (including spaces) in the search list`,
      ),
    );
  }
  searches.forEach((search, i) => {
    if (search === ".") return;
    const trimmed = search.endsWith(".") ? search.slice(0, -1) : search;
    errors.push(
      ...isSearchDomain(trimmed).map((m) => invalid(path.child("searches").index(i), trimmed, m)),
    );
  });
  recordList(config.options).forEach((option, i) => {
    if (stringOf(option.name) === "") {
      errors.push(required(path.child("options").index(i), "must not be empty"));
    }
  });
  return errors;
}

function validateOS(spec: JsonRecord, path: FieldPath): FieldError[] {
  const os = recordOf(spec.os);
  if (!os) return [];
  const name = stringOf(os.name);
  if (name === "") return [required(path.child("os", "name"), "cannot be empty")];
  if (name !== "linux" && name !== "windows") {
    return [notSupported(path.child("os"), name, ["linux", "windows"])];
  }
  if (name !== "linux") return [];
  // Windows options mean nothing to a Linux pod; reject rather than silently ignore them.
  const errors: FieldError[] = [];
  if (isRecord(recordOf(spec.securityContext)?.windowsOptions)) {
    errors.push(
      forbidden(
        path.child("securityContext", "windowsOptions"),
        "windows options cannot be set for a linux pod",
      ),
    );
  }
  for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
    recordList(spec[list]).forEach((container, i) => {
      if (isRecord(recordOf(container.securityContext)?.windowsOptions)) {
        errors.push(
          forbidden(
            path.child(list).index(i).child("securityContext", "windowsOptions"),
            "windows options cannot be set for a linux pod",
          ),
        );
      }
    });
  }
  return errors;
}

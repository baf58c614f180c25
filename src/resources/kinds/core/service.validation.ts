/**
 * Service validation (upstream ValidateService, ValidateServiceUpdate and
 * ValidateConditionalService). Cluster IPs and node ports are allocated by the registry,
 * not here; these rules only judge what the object says.
 */

import type { KubeObject } from "../../kind.ts";
import { isDNS1123Label, isDNS1123Subdomain } from "../../validation/dns-name.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { isValidCIDR, isValidIP } from "../../validation/ip-address.ts";
import { validateLabels } from "../../validation/labels-and-annotations.ts";
import { nameIsDNS1035Label } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { isValidPortNum } from "../../validation/port.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { PROTOCOLS } from "./container.validation.ts";
import { validateNonSpecialIP } from "./endpoints.validation.ts";
import {
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringMap,
  stringOf,
} from "./json-value.ts";
import { validatePortNumOrName } from "./probe.validation.ts";
import {
  isHeadless,
  validateClusterIPsRelatedFields,
  validateListUpdate,
} from "./service-cluster-ip.validation.ts";

export const SERVICE_TYPES: readonly string[] = [
  "ClusterIP",
  "ExternalName",
  "LoadBalancer",
  "NodePort",
];
const trafficPolicies = ["Cluster", "Local"];
const trafficDistributions = ["PreferClose", "PreferSameNode", "PreferSameZone"];
/** Upstream's cap on ClientIP affinity: one day. */
const maxClientIPAffinitySeconds = 86400;
const topologyModeAnnotation = "service.kubernetes.io/topology-mode";
const topologyHintsAnnotation = "service.kubernetes.io/topology-aware-hints";
const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges";

/** NodePort and LoadBalancer services, and any with external IPs, take outside traffic. */
export function isExternallyAccessible(spec: JsonRecord): boolean {
  const type = stringOf(spec.type);
  return (
    type === "LoadBalancer" ||
    type === "NodePort" ||
    ((type === "ClusterIP" || type === "") && stringList(spec.externalIPs).length > 0)
  );
}

export function needsHealthCheckNodePort(spec: JsonRecord): boolean {
  return stringOf(spec.type) === "LoadBalancer" && stringOf(spec.externalTrafficPolicy) === "Local";
}

export function validateService(service: KubeObject): FieldError[] {
  const spec = recordOf(service.spec) ?? {};
  const specPath = fieldPath("spec");
  const annotations = stringMap(service.metadata?.annotations);
  const errors = validateObjectMeta(service.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNS1035Label,
    standardFinalizersOnly: true,
  });
  const mode = annotations[topologyModeAnnotation];
  const hints = annotations[topologyHintsAnnotation];
  if (mode !== undefined && hints !== undefined && mode !== hints) {
    errors.push(
      invalid(
        fieldPath("metadata", "annotations").key(topologyModeAnnotation),
        mode,
        `must match annotations[${topologyHintsAnnotation}] when both are specified`,
      ),
    );
  }
  const type = stringOf(spec.type);
  const headless = isHeadless(spec);
  const ports = recordList(spec.ports);
  if (ports.length === 0 && !headless && type !== "ExternalName") {
    errors.push(required(specPath.child("ports"), ""));
  }
  if ((type === "LoadBalancer" || type === "NodePort") && headless) {
    errors.push(
      invalid(
        specPath.child("clusterIPs").index(0),
        "None",
        `may not be set to 'None' for ${type} services`,
      ),
    );
  }
  if (type === "ExternalName") {
    for (const field of ["clusterIPs", "ipFamilies"]) {
      if (stringList(spec[field]).length > 0) {
        errors.push(forbidden(specPath.child(field), "may not be set for ExternalName services"));
      }
    }
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
      errors.push(
        forbidden(specPath.child("ipFamilyPolicy"), "may not be set for ExternalName services"),
      );
    }
    // A trailing dot marks the CNAME as fully qualified.
    const cname = stringOf(spec.externalName).replace(/\.$/, "");
    if (cname === "") errors.push(required(specPath.child("externalName"), ""));
    else {
      errors.push(
        ...isDNS1123Subdomain(cname).map((m) => invalid(specPath.child("externalName"), cname, m)),
      );
    }
  }
  const portNames = new Set<string>();
  ports.forEach((port, i) => {
    errors.push(
      ...validateServicePort(port, ports.length > 1, portNames, specPath.child("ports").index(i)),
    );
  });
  if (spec.selector !== undefined && spec.selector !== null) {
    errors.push(...validateLabels(stringMap(spec.selector), specPath.child("selector")));
  }
  errors.push(...validateSessionAffinity(spec, specPath));
  errors.push(...validateClusterIPsRelatedFields(spec, specPath));
  stringList(spec.externalIPs).forEach((ip, i) => {
    const ipPath = specPath.child("externalIPs").index(i);
    const ipErrors = isValidIP(ipPath, ip);
    errors.push(...(ipErrors.length > 0 ? ipErrors : validateNonSpecialIP(ip, ipPath)));
  });
  if (type === "") errors.push(required(specPath.child("type"), ""));
  else if (!SERVICE_TYPES.includes(type)) {
    errors.push(notSupported(specPath.child("type"), type, SERVICE_TYPES));
  }
  errors.push(...validateNodePorts(ports, type, specPath.child("ports")));
  errors.push(...validateLoadBalancerFields(spec, annotations, specPath));
  errors.push(...validateTrafficPolicies(spec, specPath));
  return errors;
}

function validateServicePort(
  port: JsonRecord,
  requireName: boolean,
  names: Set<string>,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const name = stringOf(port.name);
  if (requireName && name === "") errors.push(required(path.child("name"), ""));
  else if (name !== "") {
    errors.push(...isDNS1123Label(name).map((m) => invalid(path.child("name"), name, m)));
    if (names.has(name)) errors.push(duplicate(path.child("name"), name));
    else names.add(name);
  }
  const number = typeof port.port === "number" ? port.port : 0;
  errors.push(...isValidPortNum(number).map((m) => invalid(path.child("port"), number, m)));
  const protocol = stringOf(port.protocol);
  if (protocol === "") errors.push(required(path.child("protocol"), ""));
  else if (!PROTOCOLS.includes(protocol)) {
    errors.push(notSupported(path.child("protocol"), protocol, PROTOCOLS));
  }
  errors.push(...validatePortNumOrName(port.targetPort, path.child("targetPort")));
  if (typeof port.appProtocol === "string") {
    const appProtocol = port.appProtocol;
    errors.push(
      ...isQualifiedName(appProtocol).map((m) =>
        invalid(path.child("appProtocol"), appProtocol, m),
      ),
    );
  }
  return errors;
}

function validateSessionAffinity(spec: JsonRecord, specPath: FieldPath): FieldError[] {
  const affinity = stringOf(spec.sessionAffinity);
  const configPath = specPath.child("sessionAffinityConfig");
  if (affinity === "") return [required(specPath.child("sessionAffinity"), "")];
  if (affinity === "None") {
    return spec.sessionAffinityConfig === undefined || spec.sessionAffinityConfig === null
      ? []
      : [forbidden(configPath, "must not be set when session affinity is None")];
  }
  if (affinity !== "ClientIP") {
    return [notSupported(specPath.child("sessionAffinity"), affinity, ["ClientIP", "None"])];
  }
  const detail = "when session affinity type is ClientIP";
  const config = recordOf(spec.sessionAffinityConfig);
  if (!config) return [required(configPath, detail)];
  const clientIP = recordOf(config.clientIP);
  if (!clientIP) return [required(configPath.child("clientIP"), detail)];
  const timeout = clientIP.timeoutSeconds;
  const timeoutPath = configPath.child("clientIP", "timeoutSeconds");
  if (typeof timeout !== "number") return [required(timeoutPath, detail)];
  if (timeout <= 0 || timeout > maxClientIPAffinitySeconds) {
    return [
      invalid(
        timeoutPath,
        timeout,
        `must be greater than 0 and less than ${maxClientIPAffinitySeconds}`,
      ),
    ];
  }
  return [];
}

function validateNodePorts(ports: JsonRecord[], type: string, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const nodePorts = new Set<string>();
  const servicePorts = new Set<string>();
  ports.forEach((port, i) => {
    const nodePort = typeof port.nodePort === "number" ? port.nodePort : 0;
    const protocol = stringOf(port.protocol);
    if (type === "ClusterIP" && nodePort !== 0) {
      errors.push(
        forbidden(path.index(i).child("nodePort"), "may not be used when `type` is 'ClusterIP'"),
      );
    }
    if (nodePort !== 0) {
      const key = `${protocol}/${nodePort}`;
      if (nodePorts.has(key)) errors.push(duplicate(path.index(i).child("nodePort"), nodePort));
      nodePorts.add(key);
    }
    const key = `${protocol}/${String(port.port)}`;
    if (servicePorts.has(key)) errors.push(duplicate(path.index(i), { protocol, port: port.port }));
    servicePorts.add(key);
  });
  return errors;
}

function validateLoadBalancerFields(
  spec: JsonRecord,
  annotations: Record<string, string>,
  specPath: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const isLoadBalancer = stringOf(spec.type) === "LoadBalancer";
  const onlyLB = "may only be used when `type` is 'LoadBalancer'";
  const ranges = stringList(spec.loadBalancerSourceRanges);
  if (ranges.length > 0) {
    // Upstream spells this path with a capital L.
    const rangesPath = specPath.child("LoadBalancerSourceRanges");
    if (!isLoadBalancer) errors.push(forbidden(rangesPath, onlyLB));
    ranges.forEach((range, i) => {
      errors.push(...isValidCIDR(rangesPath.index(i), range.trim()));
    });
  } else if (annotations[sourceRangesAnnotation] !== undefined) {
    const annotationPath = fieldPath("metadata", "annotations").key(sourceRangesAnnotation);
    if (!isLoadBalancer) errors.push(forbidden(annotationPath, onlyLB));
    const value = (annotations[sourceRangesAnnotation] ?? "").trim();
    if (value !== "") {
      for (const range of value.split(","))
        errors.push(...isValidCIDR(annotationPath, range.trim()));
    }
  }
  const allocate = spec.allocateLoadBalancerNodePorts;
  const hasAllocate = allocate !== undefined && allocate !== null;
  if (hasAllocate && !isLoadBalancer) {
    errors.push(forbidden(specPath.child("allocateLoadBalancerNodePorts"), onlyLB));
  }
  // Upstream reports this one without the `spec.` prefix.
  if (isLoadBalancer && !hasAllocate) {
    errors.push(required(fieldPath("allocateLoadBalancerNodePorts"), ""));
  }
  const loadBalancerClass = spec.loadBalancerClass;
  if (typeof loadBalancerClass === "string") {
    const classPath = specPath.child("loadBalancerClass");
    if (isLoadBalancer) {
      errors.push(
        ...isQualifiedName(loadBalancerClass).map((m) => invalid(classPath, loadBalancerClass, m)),
      );
    } else errors.push(forbidden(classPath, onlyLB));
  }
  return errors;
}

function validateTrafficPolicies(spec: JsonRecord, specPath: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const external = stringOf(spec.externalTrafficPolicy);
  const externalPath = specPath.child("externalTrafficPolicy");
  if (!isExternallyAccessible(spec)) {
    if (external !== "") {
      errors.push(
        invalid(externalPath, external, "may only be set for externally-accessible services"),
      );
    }
  } else if (external === "") errors.push(required(externalPath, ""));
  else if (!trafficPolicies.includes(external)) {
    errors.push(notSupported(externalPath, external, trafficPolicies));
  }
  const healthCheck = typeof spec.healthCheckNodePort === "number" ? spec.healthCheckNodePort : 0;
  const healthPath = specPath.child("healthCheckNodePort");
  if (!needsHealthCheckNodePort(spec)) {
    if (healthCheck !== 0) {
      errors.push(
        invalid(
          healthPath,
          healthCheck,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (healthCheck === 0) errors.push(required(healthPath, ""));
  else errors.push(...isValidPortNum(healthCheck).map((m) => invalid(healthPath, healthCheck, m)));
  const internal = spec.internalTrafficPolicy;
  const internalPath = specPath.child("internalTrafficPolicy");
  if (internal === undefined || internal === null) {
    if (["NodePort", "LoadBalancer", "ClusterIP"].includes(stringOf(spec.type))) {
      errors.push(required(internalPath, ""));
    }
  } else if (typeof internal !== "string" || !trafficPolicies.includes(internal)) {
    errors.push(notSupported(internalPath, internal, trafficPolicies));
  }
  const distribution = spec.trafficDistribution;
  if (typeof distribution === "string" && !trafficDistributions.includes(distribution)) {
    errors.push(
      notSupported(specPath.child("trafficDistribution"), distribution, trafficDistributions),
    );
  }
  return errors;
}

/**
 * Allocated values may not move: the primary cluster IP and IP family stay, except when
 * the service becomes or stops being ExternalName (the registry then releases or
 * allocates them), and a LoadBalancer keeps its class and health-check port.
 */
export function validateServiceUpdate(service: KubeObject, old: KubeObject): FieldError[] {
  const errors = validateObjectMetaUpdate(service.metadata ?? {}, old.metadata ?? {}, {
    standardFinalizersOnly: true,
  });
  const spec = recordOf(service.spec) ?? {};
  const oldSpec = recordOf(old.spec) ?? {};
  const involvesExternalName =
    stringOf(spec.type) === "ExternalName" || stringOf(oldSpec.type) === "ExternalName";
  if (!involvesExternalName) {
    errors.push(...validateListUpdate(spec, oldSpec, "clusterIPs"));
    if (isHeadless(spec) === isHeadless(oldSpec) && !isHeadless(spec)) {
      errors.push(...validateListUpdate(spec, oldSpec, "ipFamilies"));
    }
  }
  if (stringOf(spec.type) === "LoadBalancer" && stringOf(oldSpec.type) === "LoadBalancer") {
    if ((spec.loadBalancerClass ?? null) !== (oldSpec.loadBalancerClass ?? null)) {
      errors.push(
        invalid(
          fieldPath("spec", "loadBalancerClass"),
          spec.loadBalancerClass ?? null,
          "may not change once set",
        ),
      );
    }
  }
  if (
    needsHealthCheckNodePort(spec) &&
    needsHealthCheckNodePort(oldSpec) &&
    spec.healthCheckNodePort !== oldSpec.healthCheckNodePort
  ) {
    errors.push(forbidden(fieldPath("spec", "healthCheckNodePort"), "field is immutable"));
  }
  return errors;
}

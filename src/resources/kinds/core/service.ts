/**
 * Service (core/v1): upstream's SetDefaults_Service, the clusterIP/clusterIPs
 * normalisation and allocated-value carry-over of the service registry, and
 * ValidateService. Allocating cluster IPs and node ports is the registry's job; these
 * hooks keep what was allocated when a client's update leaves it out (`kubectl replace`
 * of a manifest without `clusterIP`), and drop it when the type no longer needs it.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { semanticEqual } from "../../validation/immutable.ts";
import {
  isRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringOf,
} from "./json-value.ts";
import {
  isExternallyAccessible,
  needsHealthCheckNodePort,
  validateService,
  validateServiceUpdate,
} from "./service.validation.ts";
import { CLUSTER_IP_FAMILIES, validateServiceForCluster } from "./service-cluster-ip.validation.ts";
import { clearStatus, keepStatus } from "./status-strategy.ts";

/** Upstream's default ClientIP affinity: three hours. */
const defaultClientIPAffinitySeconds = 10800;

function needsClusterIP(spec: JsonRecord): boolean {
  return stringOf(spec.type) !== "ExternalName";
}

function needsNodePort(spec: JsonRecord): boolean {
  const type = stringOf(spec.type);
  return type === "NodePort" || type === "LoadBalancer";
}

export function defaultServiceSpec(spec: JsonRecord): void {
  if (!spec.sessionAffinity) spec.sessionAffinity = "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === "ClientIP") {
    const clientIP = recordOf(recordOf(spec.sessionAffinityConfig)?.clientIP);
    if (typeof clientIP?.timeoutSeconds !== "number") {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: defaultClientIPAffinitySeconds } };
    }
  }
  if (!spec.type) spec.type = "ClusterIP";
  for (const port of recordList(spec.ports)) {
    if (!port.protocol) port.protocol = "TCP";
    if (
      port.targetPort === undefined ||
      port.targetPort === null ||
      port.targetPort === 0 ||
      port.targetPort === ""
    ) {
      port.targetPort = port.port;
    }
  }
  if (isExternallyAccessible(spec) && !spec.externalTrafficPolicy) {
    spec.externalTrafficPolicy = "Cluster";
  }
  const type = stringOf(spec.type);
  if (
    (spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null) &&
    (type === "ClusterIP" || type === "NodePort" || type === "LoadBalancer")
  ) {
    spec.internalTrafficPolicy = "Cluster";
  }
  if (type === "LoadBalancer" && typeof spec.allocateLoadBalancerNodePorts !== "boolean") {
    spec.allocateLoadBalancerNodePorts = true;
  }
  if (needsClusterIP(spec)) {
    // The registry's allocator chooses these upstream; with one family they are fixed.
    if (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
      spec.ipFamilyPolicy = "SingleStack";
    }
    if (stringList(spec.ipFamilies).length === 0) {
      const first = stringList(spec.clusterIPs)[0] ?? stringOf(spec.clusterIP);
      spec.ipFamilies = first.includes(":") ? ["IPv6"] : [CLUSTER_IP_FAMILIES[0]];
    }
  }
}

/**
 * Keeps clusterIP and clusterIPs in step (upstream NormalizeClusterIPs): clients usually
 * set only one of them, and what they change in one they mean for both.
 */
export function normalizeClusterIPs(spec: JsonRecord, oldSpec: JsonRecord = {}): void {
  const oldIP = stringOf(oldSpec.clusterIP);
  const newIP = stringOf(spec.clusterIP);
  const newIPs = stringList(spec.clusterIPs);
  const sameIPs = semanticEqual(oldSpec.clusterIPs, spec.clusterIPs);
  if (oldIP !== "" && newIP === "") {
    if (newIPs.length > 0 && sameIPs) delete spec.clusterIPs;
    return;
  }
  if (oldIP !== newIP && newIP !== "" && newIPs.length > 0 && sameIPs) {
    spec.clusterIPs = [newIP];
    return;
  }
  if (newIP !== "" && newIPs.length === 0) spec.clusterIPs = [newIP];
}

/** Carries allocated values the update left out over from the stored service. */
function patchAllocatedValues(spec: JsonRecord, oldSpec: JsonRecord): void {
  if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
    if (stringOf(spec.clusterIP) === "" && oldSpec.clusterIP !== undefined) {
      spec.clusterIP = oldSpec.clusterIP;
    }
    if (stringList(spec.clusterIPs).length === 0 && stringList(oldSpec.clusterIPs).length > 0) {
      spec.clusterIPs = structuredClone(oldSpec.clusterIPs);
    }
  }
  if (needsNodePort(oldSpec) && needsNodePort(spec)) {
    const oldPorts = recordList(oldSpec.ports);
    const newPorts = recordList(spec.ports);
    const usedByBoth = new Set(
      newPorts.map((p) => p.nodePort).filter((n) => oldPorts.some((o) => o.nodePort === n)),
    );
    // Matched by name: the client may have changed the port's other fields.
    const byName = new Map(oldPorts.map((p) => [stringOf(p.name), p.nodePort]));
    for (const port of newPorts) {
      const old = byName.get(stringOf(port.name));
      if (!port.nodePort && typeof old === "number" && old !== 0 && !usedByBoth.has(old)) {
        port.nodePort = old;
      }
    }
  }
  if (
    needsHealthCheckNodePort(oldSpec) &&
    needsHealthCheckNodePort(spec) &&
    !spec.healthCheckNodePort
  ) {
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}

/**
 * Drops values the new type no longer uses, when the client left them as they were
 * (upstream dropTypeDependentFields); a changed value is left for validation to reject.
 */
function dropTypeDependentFields(spec: JsonRecord, oldSpec: JsonRecord): void {
  const same = (field: string) => semanticEqual(spec[field], oldSpec[field]);
  if (needsClusterIP(oldSpec) && !needsClusterIP(spec)) {
    if (same("clusterIP") && same("clusterIPs")) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (same("ipFamilies")) delete spec.ipFamilies;
    if (same("ipFamilyPolicy")) delete spec.ipFamilyPolicy;
  }
  const nodePorts = (s: JsonRecord) => recordList(s.ports).map((p) => p.nodePort ?? 0);
  if (
    needsNodePort(oldSpec) &&
    !needsNodePort(spec) &&
    semanticEqual(nodePorts(spec), nodePorts(oldSpec))
  ) {
    for (const port of recordList(spec.ports)) delete port.nodePort;
  }
  if (
    needsHealthCheckNodePort(oldSpec) &&
    !needsHealthCheckNodePort(spec) &&
    same("healthCheckNodePort")
  ) {
    delete spec.healthCheckNodePort;
  }
  const wasLoadBalancer = stringOf(oldSpec.type) === "LoadBalancer";
  const isLoadBalancer = stringOf(spec.type) === "LoadBalancer";
  if (wasLoadBalancer && !isLoadBalancer) {
    if (
      typeof spec.allocateLoadBalancerNodePorts === "boolean" &&
      same("allocateLoadBalancerNodePorts")
    ) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (same("loadBalancerClass")) delete spec.loadBalancerClass;
  }
  if (
    isExternallyAccessible(oldSpec) &&
    !isExternallyAccessible(spec) &&
    same("externalTrafficPolicy")
  ) {
    delete spec.externalTrafficPolicy;
  }
}

function specOf(object: KubeObject): JsonRecord {
  if (!isRecord(object.spec)) object.spec = {};
  return object.spec as JsonRecord;
}

export const serviceKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "Service",
  resource: "services",
  singular: "service",
  namespaced: true,
  schemaRef: "core/v1.Service",
  hasStatus: true,
  // Upstream does not track generation for Services: clients never compare it.
  tracksGeneration: false,
  shortNames: ["svc"],
  categories: ["all"],
  subresources: ["status", "proxy"],

  defaults(service) {
    defaultServiceSpec(specOf(service));
  },

  prepareForCreate(service) {
    clearStatus(service);
    normalizeClusterIPs(specOf(service));
  },

  prepareForUpdate(service, old) {
    keepStatus(service, old);
    const spec = specOf(service);
    const oldSpec = recordOf(old.spec) ?? {};
    patchAllocatedValues(spec, oldSpec);
    normalizeClusterIPs(spec, oldSpec);
    dropTypeDependentFields(spec, oldSpec);
  },

  validate(service) {
    return [
      ...validateService(service),
      ...validateServiceForCluster(recordOf(service.spec) ?? {}),
    ];
  },

  validateUpdate(service, old) {
    return validateServiceUpdate(service, old);
  },

  selectableFields(service) {
    const spec = recordOf(service.spec) ?? {};
    return { "spec.clusterIP": stringOf(spec.clusterIP), "spec.type": stringOf(spec.type) };
  },
};

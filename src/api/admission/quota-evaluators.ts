/**
 * What an object costs against a ResourceQuota (upstream pkg/quota/v1/evaluator/core and
 * the generic object-count evaluator): the quota resources each kind consumes, which
 * scopes an object falls in, and the rules pods must follow under a compute quota.
 */
import type { ResourceRef } from "../../auth/types.ts";
import type { KubeObject } from "../../resources/kind.ts";
import {
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringOf,
} from "../../resources/kinds/core/json-value.ts";
import { computePodQOS } from "../../resources/kinds/core/pod-qos.ts";
import {
  isExtendedResourceName,
  isNativeResource,
} from "../../resources/kinds/core/resource-names.ts";
import { Quantity } from "../../resources/quantity/quantity.ts";
import { aggregateMessages } from "./admission-support.ts";
import {
  addInto,
  podLimits,
  podRequests,
  type ResourceList,
  readResourceList,
} from "./resource-lists.ts";

/** One condition of a quota's scopes: `spec.scopes` entries are `Exists` requirements. */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values: string[];
}

export interface QuotaEvaluator {
  readonly ref: ResourceRef;
  /** Whether updates can change usage (creates always count). */
  readonly handlesUpdate: boolean;
  /** Whether an update may lower usage (pods resized down) rather than floor at zero. */
  readonly negativeDeltas: boolean;
  /** Whether this evaluator measures the quota resource `name`. */
  tracks(name: string): boolean;
  usage(object: KubeObject): ResourceList;
  matchesScope(requirement: ScopeRequirement, object: KubeObject): boolean;
  /** Why the object may not be admitted under a quota tracking `tracked`, if it may not. */
  constraints(tracked: readonly string[], object: KubeObject): string | undefined;
}

const STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/";
const BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

const one = () => Quantity.fromInt(1);

/** `count/<resource>` for core, `count/<resource>.<group>` otherwise. */
export function objectCountName(ref: ResourceRef): string {
  return ref.group ? `count/${ref.resource}.${ref.group}` : `count/${ref.resource}`;
}

/** The resource a `count/…` quota name counts. */
function refOfCountName(name: string): ResourceRef | undefined {
  if (!name.startsWith("count/")) return undefined;
  const rest = name.slice("count/".length);
  const dot = rest.indexOf(".");
  if (rest === "" || dot === 0) return undefined;
  return dot < 0
    ? { group: "", resource: rest }
    : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

/** Label-selector semantics over one label that is present only when `value` is set. */
function selectorMatches(requirement: ScopeRequirement, value: string): boolean {
  switch (requirement.operator) {
    case "In":
      return value !== "" && requirement.values.includes(value);
    case "NotIn":
      return value === "" || !requirement.values.includes(value);
    case "Exists":
      return value !== "";
    case "DoesNotExist":
      return value === "";
    default:
      return false;
  }
}

// ---- Generic object counts -------------------------------------------------------------

/** Quota names older than `count/…` that still count these core resources. */
const legacyAliases: Readonly<Record<string, string>> = {
  configmaps: "configmaps",
  secrets: "secrets",
  replicationcontrollers: "replicationcontrollers",
  resourcequotas: "resourcequotas",
};

function objectCountEvaluator(ref: ResourceRef): QuotaEvaluator {
  const names = [objectCountName(ref)];
  const alias = ref.group === "" ? legacyAliases[ref.resource] : undefined;
  if (alias) names.push(alias);
  return {
    ref,
    handlesUpdate: false,
    negativeDeltas: false,
    tracks: (name) => names.includes(name),
    usage: () => new Map(names.map((name) => [name, one()])),
    // Scoped quotas only ever limit pods and claims.
    matchesScope: () => false,
    constraints: () => undefined,
  };
}

// ---- Pods ------------------------------------------------------------------------------

const podResourceNames = new Set([
  "count/pods",
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
]);

/** Under a quota on any of these, every container must state the matching value. */
const declaredResourceNames = new Set([
  "cpu",
  "memory",
  "requests.cpu",
  "requests.memory",
  "limits.cpu",
  "limits.memory",
]);

function tracksPodResource(name: string): boolean {
  return (
    podResourceNames.has(name) ||
    name.startsWith("hugepages-") ||
    name.startsWith("requests.hugepages-") ||
    // Extended resources cannot be overcommitted: quotas name only their requests.
    (!isNativeResource(name) && name.startsWith("requests."))
  );
}

/** The quota resources a set of requests and limits uses (upstream podComputeUsageHelper). */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const usage: ResourceList = new Map([["pods", one()]]);
  for (const name of ["cpu", "memory", "ephemeral-storage"]) {
    const request = requests.get(name);
    if (request) {
      usage.set(name, request);
      usage.set(`requests.${name}`, request);
    }
    const limit = limits.get(name);
    if (limit) usage.set(`limits.${name}`, limit);
  }
  for (const [name, request] of requests) {
    if (name.startsWith("hugepages-")) usage.set(name, request);
    if (name.startsWith("hugepages-") || isExtendedResourceName(name)) {
      usage.set(`requests.${name}`, request);
    }
  }
  return usage;
}

/** Finished pods, and pods being deleted, no longer hold compute resources. */
function holdsCompute(pod: KubeObject): boolean {
  const phase = stringOf(recordOf(pod.status)?.phase);
  if (phase === "Succeeded" || phase === "Failed") return false;
  return !pod.metadata?.deletionTimestamp;
}

function podUsage(pod: KubeObject): ResourceList {
  // `count/pods` counts every stored pod; `pods` and compute only live ones.
  const usage: ResourceList = new Map([["count/pods", one()]]);
  if (!holdsCompute(pod)) return usage;
  const spec = recordOf(pod.spec) ?? {};
  addInto(usage, computeUsage(podRequests(spec, true), podLimits(spec, true)));
  return usage;
}

function isTerminating(spec: JsonRecord): boolean {
  return typeof spec.activeDeadlineSeconds === "number" && spec.activeDeadlineSeconds >= 0;
}

function crossNamespaceTerms(affinity: unknown): boolean {
  const record = recordOf(affinity);
  if (!record) return false;
  const terms = [
    ...recordList(record.requiredDuringSchedulingIgnoredDuringExecution),
    ...recordList(record.preferredDuringSchedulingIgnoredDuringExecution).map(
      (weighted) => recordOf(weighted.podAffinityTerm) ?? {},
    ),
  ];
  return terms.some(
    (term) =>
      stringList(term.namespaces).length > 0 || recordOf(term.namespaceSelector) !== undefined,
  );
}

function usesCrossNamespaceAffinity(spec: JsonRecord): boolean {
  const affinity = recordOf(spec.affinity);
  return (
    crossNamespaceTerms(affinity?.podAffinity) || crossNamespaceTerms(affinity?.podAntiAffinity)
  );
}

function podMatchesScope(requirement: ScopeRequirement, pod: KubeObject): boolean {
  const spec = recordOf(pod.spec) ?? {};
  switch (requirement.scopeName) {
    case "Terminating":
      return isTerminating(spec);
    case "NotTerminating":
      return !isTerminating(spec);
    case "BestEffort":
      return computePodQOS(spec) === "BestEffort";
    case "NotBestEffort":
      return computePodQOS(spec) !== "BestEffort";
    case "PriorityClass":
      return selectorMatches(requirement, stringOf(spec.priorityClassName));
    case "CrossNamespacePodAffinity":
      return usesCrossNamespaceAffinity(spec);
    default:
      return false;
  }
}

/**
 * A quota on cpu or memory requires every container to state it: a pod that does not
 * would escape the quota (upstream keeps this rule for compatibility).
 */
function podConstraints(tracked: readonly string[], pod: KubeObject): string | undefined {
  const required = tracked.filter((name) => declaredResourceNames.has(name));
  if (required.length === 0) return undefined;
  const spec = recordOf(pod.spec) ?? {};
  const missing = new Map<string, Set<string>>();
  for (const container of [...recordList(spec.containers), ...recordList(spec.initContainers)]) {
    const resources = recordOf(container.resources);
    const declared = computeUsage(
      readResourceList(resources?.requests),
      readResourceList(resources?.limits),
    );
    for (const name of required) {
      if (declared.has(name)) continue;
      const names = missing.get(name) ?? new Set<string>();
      names.add(stringOf(container.name));
      missing.set(name, names);
    }
  }
  if (missing.size === 0) return undefined;
  const messages = [...missing.keys()]
    .sort()
    .map((name) => `must specify ${name} for: ${[...(missing.get(name) ?? [])].sort().join(",")}`);
  return aggregateMessages(messages);
}

const podEvaluator: QuotaEvaluator = {
  ref: { group: "", resource: "pods" },
  handlesUpdate: true,
  negativeDeltas: true,
  tracks: tracksPodResource,
  usage: podUsage,
  matchesScope: podMatchesScope,
  constraints: podConstraints,
};

// ---- Services --------------------------------------------------------------------------

const serviceResourceNames = new Set([
  "services",
  "count/services",
  "services.nodeports",
  "services.loadbalancers",
]);

function serviceUsage(service: KubeObject): ResourceList {
  const spec = recordOf(service.spec) ?? {};
  const ports = recordList(spec.ports);
  let nodePorts = 0;
  let loadBalancers = 0;
  if (spec.type === "NodePort") nodePorts = ports.length;
  if (spec.type === "LoadBalancer") {
    loadBalancers = 1;
    // Without node-port allocation only the ports the client fixed are node ports.
    nodePorts =
      spec.allocateLoadBalancerNodePorts === false
        ? ports.filter((p) => typeof p.nodePort === "number" && p.nodePort !== 0).length
        : ports.length;
  }
  return new Map([
    ["count/services", one()],
    ["services", one()],
    ["services.nodeports", Quantity.fromInt(nodePorts)],
    ["services.loadbalancers", Quantity.fromInt(loadBalancers)],
  ]);
}

const serviceEvaluator: QuotaEvaluator = {
  ref: { group: "", resource: "services" },
  handlesUpdate: true,
  negativeDeltas: false,
  tracks: (name) => serviceResourceNames.has(name),
  usage: serviceUsage,
  matchesScope: () => false,
  constraints: () => undefined,
};

// ---- PersistentVolumeClaims ------------------------------------------------------------

const claimResourceNames = new Set([
  "persistentvolumeclaims",
  "count/persistentvolumeclaims",
  "requests.storage",
]);

function tracksClaimResource(name: string): boolean {
  if (claimResourceNames.has(name)) return true;
  const at = name.indexOf(STORAGE_CLASS_SUFFIX);
  if (at <= 0) return false;
  const rest = name.slice(at + STORAGE_CLASS_SUFFIX.length);
  return rest === "requests.storage" || rest === "persistentvolumeclaims";
}

/** The beta annotation still wins over spec.storageClassName, as upstream. */
function storageClassOf(claim: KubeObject): string {
  const annotated = claim.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  if (annotated !== undefined) return annotated;
  return stringOf(recordOf(claim.spec)?.storageClassName);
}

/** What the claim holds: its request, or more if a larger size was already allocated. */
function claimStorage(claim: KubeObject): Quantity | undefined {
  const requested = readResourceList(recordOf(recordOf(claim.spec)?.resources)?.requests).get(
    "storage",
  );
  const allocated = readResourceList(recordOf(claim.status)?.allocatedResources).get("storage");
  const larger = requested && allocated && allocated.cmp(requested) > 0 ? allocated : requested;
  // Storage is charged in whole bytes.
  return larger?.roundUp(0).quantity;
}

function claimUsage(claim: KubeObject): ResourceList {
  const usage: ResourceList = new Map([
    ["persistentvolumeclaims", one()],
    ["count/persistentvolumeclaims", one()],
  ]);
  const storageClass = storageClassOf(claim);
  if (storageClass)
    usage.set(`${storageClass}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, one());
  const storage = claimStorage(claim);
  if (storage) {
    usage.set("requests.storage", storage);
    if (storageClass) usage.set(`${storageClass}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
  }
  return usage;
}

function claimMatchesScope(requirement: ScopeRequirement, claim: KubeObject): boolean {
  if (requirement.scopeName !== "VolumeAttributesClass") return false;
  const spec = recordOf(claim.spec) ?? {};
  return selectorMatches(requirement, stringOf(spec.volumeAttributesClassName));
}

const claimEvaluator: QuotaEvaluator = {
  ref: { group: "", resource: "persistentvolumeclaims" },
  handlesUpdate: true,
  negativeDeltas: false,
  tracks: tracksClaimResource,
  usage: claimUsage,
  matchesScope: claimMatchesScope,
  constraints: () => undefined,
};

// ---- Lookup ----------------------------------------------------------------------------

const specialized = [podEvaluator, serviceEvaluator, claimEvaluator];

/** The evaluator for objects of `ref`: pods, services and claims have their own. */
export function evaluatorFor(ref: ResourceRef): QuotaEvaluator {
  const found = specialized.find(
    (e) => e.ref.group === ref.group && e.ref.resource === ref.resource,
  );
  return found ?? objectCountEvaluator(ref);
}

/** The evaluator that measures the quota resource `name`, if any does. */
export function evaluatorForQuotaResource(name: string): QuotaEvaluator | undefined {
  const counted = refOfCountName(name);
  if (counted) return evaluatorFor(counted);
  const found = specialized.find((e) => e.tracks(name));
  if (found) return found;
  return legacyAliases[name] ? evaluatorFor({ group: "", resource: name }) : undefined;
}

/** A quota's scopes and scope selector as one list of requirements. */
export function scopeRequirements(quota: KubeObject): ScopeRequirement[] {
  const spec = recordOf(quota.spec) ?? {};
  const requirements: ScopeRequirement[] = stringList(spec.scopes).map((scopeName) => ({
    scopeName,
    operator: "Exists",
    values: [],
  }));
  for (const expression of recordList(recordOf(spec.scopeSelector)?.matchExpressions)) {
    requirements.push({
      scopeName: stringOf(expression.scopeName),
      operator: stringOf(expression.operator),
      values: stringList(expression.values),
    });
  }
  return requirements;
}

/** Whether `object` falls in every scope of the quota (an unscoped quota takes all). */
export function inQuotaScopes(
  evaluator: QuotaEvaluator,
  quota: KubeObject,
  object: KubeObject,
): boolean {
  return scopeRequirements(quota).every((r) => evaluator.matchesScope(r, object));
}

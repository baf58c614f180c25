/**
 * LimitRanger admission (upstream plugin/pkg/admission/limitranger): the LimitRanges of a
 * namespace give new pods' containers default requests and limits, and bound what pods,
 * containers and claims may ask for.
 */
import type { ObjectReader, ResourceRef } from "../../auth/types.ts";
import type { KubeObject } from "../../resources/kind.ts";
import {
  ensureRecord,
  isRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringOf,
} from "../../resources/kinds/core/json-value.ts";
import type { Quantity } from "../../resources/quantity/quantity.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";
import {
  aggregateMessages,
  denyRequest,
  isMainResource,
  PODS,
  requestNamespace,
} from "./admission-support.ts";
import { podLimits, podRequests, type ResourceList, readResourceList } from "./resource-lists.ts";

/** The annotation that records which defaults were applied. */
export const LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger";

const LIMIT_RANGES: ResourceRef = { group: "", resource: "limitranges" };
const CLAIMS: ResourceRef = { group: "", resource: "persistentvolumeclaims" };

export class LimitRanger implements AdmissionPlugin {
  readonly name = "LimitRanger";

  constructor(private readonly reader: ObjectReader) {}

  /**
   * Defaults run on pod creation only: containers cannot be added or changed later, so
   * an update has nothing to default.
   */
  async mutate(request: AdmissionRequest): Promise<void> {
    if (request.operation !== "CREATE" || !isMainResource(request, PODS)) return;
    const ranges = this.limitRanges(request);
    if (ranges.length === 0) return;
    const spec = ensureRecord(request.object, "spec");
    copyLimitsToRequests(spec);
    for (const range of ranges) applyDefaults(request.object, spec, range);
  }

  async validate(request: AdmissionRequest): Promise<void> {
    if (request.operation === "DELETE") return;
    // Objects on their way out are left alone.
    if (request.oldObject?.metadata?.deletionTimestamp) return;
    const check = this.checkFor(request);
    if (!check) return;
    for (const range of this.limitRanges(request)) {
      const problems = check(limitItems(range), request.object);
      if (problems.length > 0) throw denyRequest(request, aggregateMessages(problems));
    }
  }

  private checkFor(request: AdmissionRequest) {
    if (request.operation === "CREATE" && isMainResource(request, PODS)) return podProblems;
    if (isMainResource(request, CLAIMS)) return claimProblems;
    return undefined;
  }

  private limitRanges(request: AdmissionRequest): readonly KubeObject[] {
    const namespace = requestNamespace(request);
    return namespace ? this.reader.list(LIMIT_RANGES, namespace) : [];
  }
}

function limitItems(range: KubeObject): JsonRecord[] {
  return recordList(recordOf(range.spec)?.limits);
}

function containersOf(spec: JsonRecord): JsonRecord[] {
  const all: JsonRecord[] = [];
  for (const list of [spec.containers, spec.initContainers]) {
    if (Array.isArray(list)) for (const item of list) if (isRecord(item)) all.push(item);
  }
  return all;
}

/**
 * Upstream defaults a pod while decoding it, before admission, and a container's
 * requests then default to its limits. Here defaulting runs after admission, so that
 * step is done first: a container that sets only a limit requests that limit, not the
 * LimitRange's default request.
 */
function copyLimitsToRequests(spec: JsonRecord): void {
  for (const container of containersOf(spec)) {
    const resources = recordOf(container.resources);
    const limits = recordOf(resources?.limits);
    if (!resources || !limits) continue;
    const requests = recordOf(resources.requests) ?? {};
    for (const [name, value] of Object.entries(limits))
      if (!(name in requests)) requests[name] = value;
    resources.requests = requests;
  }
}

/** The Container item's `default` (limits) and `defaultRequest` (requests), merged. */
function containerDefaults(range: KubeObject): { limits: JsonRecord; requests: JsonRecord } {
  const limits: JsonRecord = {};
  const requests: JsonRecord = {};
  for (const item of limitItems(range)) {
    if (item.type !== "Container") continue;
    Object.assign(requests, recordOf(item.defaultRequest));
    Object.assign(limits, recordOf(item.default));
  }
  return { limits, requests };
}

/** Fills missing entries of `target` from `defaults`, returning the names filled. */
function fillMissing(target: JsonRecord, defaults: JsonRecord): string[] {
  const set: string[] = [];
  for (const [name, value] of Object.entries(defaults)) {
    if (name in target) continue;
    target[name] = value;
    set.push(name);
  }
  return set.sort();
}

function applyDefaults(pod: KubeObject, spec: JsonRecord, range: KubeObject): void {
  const defaults = containerDefaults(range);
  const notes: string[] = [];
  const groups: [string, JsonRecord[]][] = [
    ["container", recordList(spec.containers)],
    ["init container", recordList(spec.initContainers)],
  ];
  for (const [label, containers] of groups) {
    for (const container of containers) {
      const resources = recordOf(container.resources) ?? {};
      const limits = recordOf(resources.limits) ?? {};
      const requests = recordOf(resources.requests) ?? {};
      const setLimits = fillMissing(limits, defaults.limits);
      const setRequests = fillMissing(requests, defaults.requests);
      // Lists are only created when something goes in them: empty ones are not stored.
      if (setLimits.length > 0) resources.limits = limits;
      if (setRequests.length > 0) resources.requests = requests;
      if (setLimits.length + setRequests.length > 0) container.resources = resources;
      const name = stringOf(container.name);
      if (setRequests.length > 0)
        notes.push(`${setRequests.join(", ")} request for ${label} ${name}`);
      if (setLimits.length > 0) notes.push(`${setLimits.join(", ")} limit for ${label} ${name}`);
    }
  }
  if (notes.length === 0) return;
  const meta = pod.metadata ?? {};
  pod.metadata = meta;
  meta.annotations = {
    ...meta.annotations,
    [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join("; ")}`,
  };
}

function entries(list: unknown): [string, Quantity][] {
  return [...readResourceList(list)];
}

/** Container items bound each container; Pod items the pod's effective totals. */
function podProblems(items: JsonRecord[], pod: KubeObject): string[] {
  const spec = recordOf(pod.spec) ?? {};
  const problems: string[] = [];
  for (const item of items) {
    const type = stringOf(item.type);
    if (type === "Container") {
      for (const container of containersOf(spec)) {
        const resources = recordOf(container.resources);
        const requests = readResourceList(resources?.requests);
        const limits = readResourceList(resources?.limits);
        problems.push(...boundProblems(type, item, requests, limits));
      }
    } else if (type === "Pod") {
      problems.push(...boundProblems(type, item, podRequests(spec, false), podLimits(spec, false)));
    }
  }
  return problems;
}

function boundProblems(
  type: string,
  item: JsonRecord,
  requests: ResourceList,
  limits: ResourceList,
): string[] {
  const problems: (string | undefined)[] = [];
  for (const [name, min] of entries(item.min)) {
    problems.push(minProblem(type, name, min, requests, limits));
  }
  for (const [name, max] of entries(item.max)) {
    problems.push(maxProblem(type, name, max, requests, limits));
  }
  for (const [name, ratio] of entries(item.maxLimitRequestRatio)) {
    problems.push(ratioProblem(type, name, ratio, requests, limits));
  }
  return problems.filter((p): p is string => p !== undefined);
}

/** Claims are bounded on what they request; their limits are not user input. */
function claimProblems(items: JsonRecord[], claim: KubeObject): string[] {
  const requests = readResourceList(recordOf(recordOf(claim.spec)?.resources)?.requests);
  const problems: (string | undefined)[] = [];
  for (const item of items) {
    const type = stringOf(item.type);
    if (type !== "PersistentVolumeClaim") continue;
    for (const [name, min] of entries(item.min)) {
      problems.push(minProblem(type, name, min, requests, new Map()));
    }
    for (const [name, max] of entries(item.max)) {
      problems.push(maxRequestProblem(type, name, max, requests));
    }
  }
  return problems.filter((p): p is string => p !== undefined);
}

/** Compared in thousandths, rounded up, as upstream compares milli-values. */
function milli(quantity: Quantity): bigint {
  return quantity.milliValue();
}

function minProblem(
  type: string,
  name: string,
  min: Quantity,
  requests: ResourceList,
  limits: ResourceList,
): string | undefined {
  const request = requests.get(name);
  const limit = limits.get(name);
  const head = `minimum ${name} usage per ${type} is ${min}`;
  if (!request) return `${head}.  No request is specified`;
  if (milli(request) < milli(min)) return `${head}, but request is ${request}`;
  if (limit && milli(limit) < milli(min)) return `${head}, but limit is ${limit}`;
  return undefined;
}

function maxProblem(
  type: string,
  name: string,
  max: Quantity,
  requests: ResourceList,
  limits: ResourceList,
): string | undefined {
  const request = requests.get(name);
  const limit = limits.get(name);
  const head = `maximum ${name} usage per ${type} is ${max}`;
  if (!limit) return `${head}.  No limit is specified`;
  if (milli(limit) > milli(max)) return `${head}, but limit is ${limit}`;
  if (request && milli(request) > milli(max)) return `${head}, but request is ${request}`;
  return undefined;
}

function maxRequestProblem(
  type: string,
  name: string,
  max: Quantity,
  requests: ResourceList,
): string | undefined {
  const request = requests.get(name);
  const head = `maximum ${name} usage per ${type} is ${max}`;
  if (!request) return `${head}.  No request is specified`;
  if (milli(request) > milli(max)) return `${head}, but request is ${request}`;
  return undefined;
}

function ratioProblem(
  type: string,
  name: string,
  ratio: Quantity,
  requests: ResourceList,
  limits: ResourceList,
): string | undefined {
  const request = requests.get(name);
  const limit = limits.get(name);
  const head = `${name} max limit to request ratio per ${type} is ${ratio}`;
  if (!request || request.isZero()) return `${head}, but no request is specified or request is 0`;
  if (!limit || limit.isZero()) return `${head}, but no limit is specified or limit is 0`;
  // limit/request > ratio, compared exactly: limit × 1000 > ratio(milli) × request.
  if (milli(limit) * 1000n > milli(ratio) * milli(request)) {
    const observed = Number(milli(limit)) / Number(milli(request));
    return `${head}, but provided ratio is ${observed.toFixed(6)}`;
  }
  return undefined;
}

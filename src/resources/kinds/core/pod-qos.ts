/**
 * A pod's quality-of-service class (upstream qos.ComputePodQOS), fixed at creation in
 * `status.qosClass`: Guaranteed when every container limits cpu and memory and requests
 * equal limits, BestEffort when nothing is requested or limited, Burstable otherwise.
 */
import type { Quantity } from "../../quantity/quantity.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { type JsonRecord, recordList, recordOf } from "./json-value.ts";
import { parseQuantityValue } from "./resource-requirements.ts";

export type PodQOSClass = "Guaranteed" | "Burstable" | "BestEffort";

const qosResources = ["cpu", "memory"];
const scratchPath = fieldPath("resources");

function positiveQuantities(list: unknown): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  const record = recordOf(list);
  for (const name of qosResources) {
    const raw = record?.[name];
    if (raw === undefined || raw === null) continue;
    const quantity = parseQuantityValue(raw, scratchPath).quantity;
    if (quantity && quantity.sign() > 0) out.set(name, quantity);
  }
  return out;
}

function addInto(sum: Map<string, Quantity>, values: Map<string, Quantity>): void {
  for (const [name, quantity] of values) {
    const current = sum.get(name);
    sum.set(name, current ? current.add(quantity) : quantity);
  }
}

/**
 * Computed from the spec as sent: a request left out where a limit is given counts as
 * equal to the limit, because defaulting (which runs after this) fills it in so.
 */
export function computePodQOS(spec: JsonRecord): PodQOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const container of [...recordList(spec.containers), ...recordList(spec.initContainers)]) {
    const resources = recordOf(container.resources);
    const containerLimits = positiveQuantities(resources?.limits);
    const containerRequests = positiveQuantities({
      ...recordOf(resources?.limits),
      ...recordOf(resources?.requests),
    });
    addInto(requests, containerRequests);
    addInto(limits, containerLimits);
    if (!containerLimits.has("cpu") || !containerLimits.has("memory")) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (!limit || limit.cmp(request) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}

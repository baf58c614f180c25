/** downwardAPI volume files (and projections): pod fields and container resources. */
import type { KubeObject } from "../../resources/kind.ts";
import { podFieldValue } from "../env/pod-fields.ts";
import { containerResourceValue, type ResourceList } from "../env/resource-fields.ts";
import type { Payload } from "./atomic-writer.ts";
import type { DownwardApiFile } from "./volume-types.ts";

export function downwardApiPayload(
  items: readonly DownwardApiFile[] | undefined,
  pod: KubeObject,
  defaultMode: number,
  nodeAllocatable: ResourceList,
): Payload {
  const payload: Payload = new Map();
  const errors: string[] = [];
  const encoder = new TextEncoder();
  for (const item of items ?? []) {
    let value = "";
    try {
      if (item.fieldRef) value = podFieldValue(pod, item.fieldRef.fieldPath ?? "");
      else if (item.resourceFieldRef) {
        value = containerResourceValue(item.resourceFieldRef, pod, undefined, nodeAllocatable);
      }
    } catch (error) {
      errors.push((error as Error).message);
      continue;
    }
    payload.set(item.path, { data: encoder.encode(value), mode: item.mode ?? defaultMode });
  }
  // Upstream aggregates: every failing item is reported, none is written.
  if (errors.length === 1) throw new Error(errors[0]);
  if (errors.length > 1) throw new Error(`[${errors.join(", ")}]`);
  return payload;
}

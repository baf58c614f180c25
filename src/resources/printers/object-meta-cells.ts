/** The metadata every printer reads: name, age, deletion. */
import type { KubeObject } from "../kind.ts";
import { timestampSince } from "./timestamp-since.ts";

export function nameOf(object: KubeObject): string {
  return object.metadata?.name ?? "";
}

/** The AGE cell: time since creationTimestamp, "<unknown>" without one. */
export function ageOf(object: KubeObject, now: Date): string {
  return timestampSince(object.metadata?.creationTimestamp, now);
}

/** Whether deletion has started (deletionTimestamp set; null counts as unset). */
export function isDeleting(object: KubeObject): boolean {
  const at = object.metadata?.deletionTimestamp;
  return at !== undefined && at !== null;
}

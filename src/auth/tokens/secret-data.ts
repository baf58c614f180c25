import { timingSafeEqual } from "node:crypto";
import type { KubeObject } from "../../resources/kind.ts";

/**
 * One value of a Secret's `data` (base64 in the API), decoded as UTF-8;
 * undefined when the key is absent or not a string.
 */
export function secretData(secret: KubeObject, key: string): string | undefined {
  const data = secret.data;
  if (typeof data !== "object" || data === null) return undefined;
  const value = (data as Record<string, unknown>)[key];
  return typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : undefined;
}

/** A Secret `data` value: the UTF-8 bytes of `value`, base64. */
export function encodeSecretData(value: string): string {
  return Buffer.from(value, "utf8").toString("base64");
}

/** String equality whose time does not depend on where the strings differ (for secrets). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  // timingSafeEqual needs equal lengths; comparing against itself keeps the work the same.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** Whether an object's deletionTimestamp lies before `cutoff` (ms since the epoch). */
export function deletedBefore(object: KubeObject, cutoff: number): boolean {
  const timestamp = object.metadata?.deletionTimestamp;
  if (timestamp === undefined) return false;
  const at = Date.parse(timestamp);
  return Number.isNaN(at) || at < cutoff;
}

/** RFC 3339 in UTC with second precision, the way metav1.Time serializes. */
export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

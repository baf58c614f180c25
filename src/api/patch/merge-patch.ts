/**
 * RFC 7386 JSON Merge Patch (`application/merge-patch+json`): objects merge
 * member by member, null deletes a member, anything else (arrays included)
 * replaces. It is also what strategic merge patch does for fields it knows
 * nothing about.
 *
 * kube-apiserver applies it with evanphx/json-patch v4, which differs from
 * the RFC in one corner: it also strips null members from objects nested in
 * an array that is added as a new member. The RFC keeps them; for built-in
 * kinds a null member and a missing one decode the same, so we keep the RFC.
 */
import {
  cloneJson,
  hasMember,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  jsonEqual,
  setMember,
} from "./json-value.ts";
import { badRequest } from "./patch-error.ts";

/** Applies `patch` to `target` (undefined: no target) as RFC 7386 defines, without modifying either. */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  mergeInto(result, patch);
  return result;
}

function mergeInto(result: JsonObject, patch: JsonObject): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else if (isJsonObject(value)) {
      const current = hasMember(result, key) ? result[key] : undefined;
      const merged: JsonObject = isJsonObject(current) ? current : {};
      mergeInto(merged, value);
      setMember(result, key, merged);
    } else {
      setMember(result, key, cloneJson(value));
    }
  }
}

/**
 * The patch document kube-apiserver accepts: an object. Upstream rejects
 * null and scalars with 400 "Invalid JSON Patch"; an array would replace the
 * whole object and can never decode as one, so it is refused the same way.
 */
export function mergePatchDocument(patch: unknown): JsonObject {
  if (!isJsonObject(patch)) throw badRequest("Invalid JSON Patch");
  return patch;
}

/**
 * A merge patch that turns `original` into `modified`: changed and added
 * members, null for removed ones, arrays whole. Objects nested in `modified`
 * that contain nulls cannot be expressed (applying the patch drops them); this
 * is a limit of the format, as upstream's CreateMergePatch has it too.
 */
export function createMergePatch(original: JsonValue, modified: JsonValue): JsonValue {
  if (!isJsonObject(original) || !isJsonObject(modified)) return cloneJson(modified);
  return diffObjects(original, modified);
}

function diffObjects(original: JsonObject, modified: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(modified)) {
    if (!hasMember(original, key)) {
      setMember(patch, key, cloneJson(value));
      continue;
    }
    const before = original[key] ?? null;
    if (isJsonObject(before) && isJsonObject(value)) {
      const nested = diffObjects(before, value);
      if (Object.keys(nested).length > 0) setMember(patch, key, nested);
    } else if (!jsonEqual(before, value)) {
      setMember(patch, key, cloneJson(value));
    }
  }
  for (const key of Object.keys(original)) {
    if (!hasMember(modified, key)) setMember(patch, key, null);
  }
  return patch;
}

/**
 * The directives of strategic merge patch, upstream's error texts for them,
 * and the helpers both the apply and the diff side need to read them.
 *
 * - `$patch: replace | delete` in an object: replace it with the rest of the
 *   patch object, or empty it. In a list element: `replace` replaces the whole
 *   list with the other elements, `delete` removes the elements whose merge
 *   key matches. `$patch: merge` is refused, as upstream does: "merge" is a
 *   struct-tag strategy, never a patch directive.
 * - `$deleteFromPrimitiveList/<field>`: values to remove from a scalar list.
 * - `$setElementOrder/<field>`: the order of a merged list (merge keys, or
 *   values for scalars).
 * - `$retainKeys`: in an object whose field has the retainKeys strategy, every
 *   member not listed is cleared (union types such as volume sources).
 */
import {
  hasMember,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  setMember,
} from "./json-value.ts";
import { badRequest, goTypeName, goValue, invalid, type PatchError } from "./patch-error.ts";

export const DIRECTIVE_MARKER = "$patch";
export const REPLACE_DIRECTIVE = "replace";
export const DELETE_DIRECTIVE = "delete";
export const MERGE_DIRECTIVE = "merge";
export const RETAIN_KEYS_DIRECTIVE = "$retainKeys";
export const DELETE_FROM_PRIMITIVE_LIST_PREFIX = "$deleteFromPrimitiveList";
export const SET_ELEMENT_ORDER_PREFIX = "$setElementOrder";

// Upstream's sentinel errors (apimachinery mergepatch). kube-apiserver maps
// these to 400, except list-of-lists which is 422.
export const ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST = "invalid patch format of primitive list";
export const ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS = "invalid patch format of retainKeys";
export const ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST =
  "invalid patch format of setElementOrder list";

export function noListOfLists(): PatchError {
  return invalid("lists of lists are not supported");
}

// Upstream raises the following as plain errors that kube-apiserver answers
// with 500; they all describe a patch that does not fit the object, so we
// answer 400 and keep upstream's text.

export function noMergeKey(element: JsonObject, mergeKey: string): PatchError {
  return badRequest(`map: ${goValue(element)} does not contain declared merge key: ${mergeKey}`);
}

export function badArgType(expected: JsonValue, actual: JsonValue | undefined): PatchError {
  return badRequest(`expected a ${goTypeName(expected)}, but received a ${goTypeName(actual)}`);
}

export function badPatchType(directive: JsonValue, element: JsonObject): PatchError {
  return badRequest(`unknown patch type: ${goValue(directive)} in map: ${goValue(element)}`);
}

/** The field a prefixed directive names: "$setElementOrder/containers" → "containers". */
export function directiveTarget(key: string, prefix: string, error: string): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) throw badRequest(error);
  return key.slice(slash + 1);
}

export function isDirectiveKey(key: string): boolean {
  return (
    key === DIRECTIVE_MARKER ||
    key === RETAIN_KEYS_DIRECTIVE ||
    key.startsWith(SET_ELEMENT_ORDER_PREFIX) ||
    key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
  );
}

export function hasDirectiveMarker(value: JsonValue | undefined): boolean {
  return isJsonObject(value) && hasMember(value, DIRECTIVE_MARKER);
}

/**
 * A patch value as it lands in the object where nothing is there to merge
 * with: a fresh copy without null members (a null deletes, and there is
 * nothing to delete) and without directives. An object carrying `$patch` is
 * not kept at all (undefined), as upstream drops it. Nulls inside arrays stay:
 * they are elements, not deletions.
 */
export function withoutDirectives(value: JsonValue): JsonValue | undefined {
  if (Array.isArray(value)) {
    const kept: JsonValue[] = [];
    for (const item of value) {
      const clean = withoutDirectives(item);
      if (clean !== undefined) kept.push(clean);
    }
    return kept;
  }
  if (!isJsonObject(value)) return value;
  if (hasMember(value, DIRECTIVE_MARKER)) return undefined;
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || isDirectiveKey(key)) continue;
    const clean = withoutDirectives(item);
    if (clean !== undefined) setMember(copy, key, clean);
  }
  return copy;
}

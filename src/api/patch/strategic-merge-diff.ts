/**
 * The create side of strategic merge patch: the two-way patch that turns one
 * object into another, in the form kubectl computes it (`kubectl edit`,
 * `set`, the last-applied handling of `apply`): changed members, null for
 * removed ones, merged lists as additions plus `$patch: delete` elements or a
 * `$deleteFromPrimitiveList` list, a `$setElementOrder` list whenever a merged
 * list changes, and `$retainKeys` in objects whose field has that strategy.
 *
 * One difference from upstream: a field with the "replace" strategy is only in
 * the patch when it changed (upstream always repeats it).
 */
import {
  compareText,
  dedupeScalars,
  listElementKind,
  mergeKeyValue,
  requireMergeKeys,
  sameElement,
  sortByOrder,
  sortScalars,
} from "./element-order.ts";
import {
  cloneJson,
  hasMember,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  jsonEqual,
  jsonKind,
  setMember,
} from "./json-value.ts";
import { goValue } from "./patch-error.ts";
import { fieldStrategy, type PatchMeta } from "./patch-meta.ts";
import { patchMetaForType } from "./schema-patch-meta.ts";
import {
  DELETE_DIRECTIVE,
  DELETE_FROM_PRIMITIVE_LIST_PREFIX,
  DIRECTIVE_MARKER,
  MERGE_DIRECTIVE,
  REPLACE_DIRECTIVE,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER_PREFIX,
} from "./strategic-merge-directives.ts";

/**
 * The strategic merge patch from `original` to `modified`, for objects of the
 * type `schema` (a ref such as "apps/v1.Deployment", or explicit metadata).
 * Applying it to `original` with strategicMergePatch gives `modified`.
 */
export function createTwoWayMergePatch(
  original: JsonObject,
  modified: JsonObject,
  schema: string | PatchMeta,
): JsonObject {
  const meta = typeof schema === "string" ? patchMetaForType(schema) : schema;
  return diffMaps(original, modified, meta, false);
}

function diffMaps(
  original: JsonObject,
  modified: JsonObject,
  meta: PatchMeta,
  buildRetainKeys: boolean,
): JsonObject {
  const patch: JsonObject = {};
  const retained: string[] = [];
  for (const [key, value] of Object.entries(modified)) {
    if (buildRetainKeys && value !== null) retained.push(key);
    const before = hasMember(original, key) ? original[key] : undefined;
    if (before !== undefined && jsonEqual(before, value)) continue;
    if (before === undefined || jsonKind(before) !== jsonKind(value)) {
      setMember(patch, key, cloneJson(value));
      continue;
    }
    const field = fieldStrategy(meta.field(key));
    if (isJsonObject(before) && field.strategy !== REPLACE_DIRECTIVE) {
      const nested = diffMaps(before, value as JsonObject, field.child, field.retainKeys);
      if (Object.keys(nested).length > 0) setMember(patch, key, nested);
    } else if (Array.isArray(before) && field.strategy === MERGE_DIRECTIVE) {
      const diff = diffLists(before, value as JsonValue[], field);
      if (diff.changes.length > 0) setMember(patch, key, diff.changes);
      if (diff.deletions.length > 0) {
        setMember(patch, `${DELETE_FROM_PRIMITIVE_LIST_PREFIX}/${key}`, diff.deletions);
      }
      if (diff.order.length > 0) setMember(patch, `${SET_ELEMENT_ORDER_PREFIX}/${key}`, diff.order);
    } else if (!jsonEqual(before, value)) {
      setMember(patch, key, cloneJson(value));
    }
  }
  for (const key of Object.keys(original)) {
    if (!hasMember(modified, key)) setMember(patch, key, null);
  }
  // Members to clear need the directive even when nothing else changed.
  const clearsMembers = Object.entries(original).some(
    ([key, value]) => value !== null && !hasMember(modified, key),
  );
  if (retained.length > 0 && (Object.keys(patch).length > 0 || clearsMembers)) {
    setMember(patch, RETAIN_KEYS_DIRECTIVE, sortScalars(retained));
  }
  return patch;
}

interface ListDiff {
  /** Added and changed elements, then `$patch: delete` elements. */
  changes: JsonValue[];
  /** Scalars to remove (`$deleteFromPrimitiveList`). */
  deletions: JsonValue[];
  /** `$setElementOrder`: merge keys (or scalars) in the modified order; empty when unchanged. */
  order: JsonValue[];
}

function diffLists(
  original: JsonValue[],
  modified: JsonValue[],
  field: { mergeKey: string; child: PatchMeta; retainKeys: boolean },
): ListDiff {
  if (original.length === 0) {
    return { changes: cloneJson(modified), deletions: [], order: [] };
  }
  const kind = listElementKind(original, modified);
  if (kind === "object") {
    const { mergeKey } = field;
    requireMergeKeys(mergeKey, original, modified);
    const [changed, deleted] = diffListsOfObjects(original, modified, field);
    const changes = [...sortByOrder(changed, modified, mergeKey), ...deleted];
    const orderSame =
      original.length === modified.length &&
      modified.every((item, i) => sameElement(original[i] as JsonValue, item, mergeKey));
    const order =
      changes.length > 0 || !orderSame
        ? modified.map((item) => keyOnly(mergeKey, mergeKeyValue(item, mergeKey) ?? null))
        : [];
    return { changes, deletions: [], order };
  }
  const [added, deletions] = diffListsOfScalars(original, modified);
  const changed = deletions.length > 0 || !jsonEqual(original, modified);
  return {
    changes: sortByOrder(added, modified, ""),
    deletions,
    order: changed ? cloneJson(modified) : [],
  };
}

function keyOnly(mergeKey: string, value: JsonValue): JsonObject {
  const element: JsonObject = {};
  setMember(element, mergeKey, value);
  return element;
}

/** Walks both lists sorted by merge-key text, as upstream does, pairing equal keys. */
function diffListsOfObjects(
  original: JsonValue[],
  modified: JsonValue[],
  field: { mergeKey: string; child: PatchMeta; retainKeys: boolean },
): [changed: JsonValue[], deleted: JsonValue[]] {
  const { mergeKey } = field;
  const keyText = (item: JsonValue) => goValue(mergeKeyValue(item, mergeKey));
  const bySortedKey = (list: JsonValue[]) =>
    [...list].sort((a, b) => compareText(keyText(a), keyText(b)));
  const before = bySortedKey(original);
  const after = bySortedKey(modified);
  const changed: JsonValue[] = [];
  const deleted: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const left = before[i];
    const right = after[j];
    const order =
      left === undefined
        ? 1
        : right === undefined
          ? -1
          : compareText(keyText(left), keyText(right));
    if (order === 0) {
      const nested = diffMaps(
        left as JsonObject,
        right as JsonObject,
        field.child,
        field.retainKeys,
      );
      if (Object.keys(nested).length > 0) {
        const element = keyOnly(mergeKey, mergeKeyValue(right, mergeKey) ?? null);
        for (const [key, value] of Object.entries(nested)) setMember(element, key, value);
        changed.push(element);
      }
      i++;
      j++;
    } else if (order > 0) {
      changed.push(cloneJson(right as JsonValue));
      j++;
    } else {
      const element = keyOnly(mergeKey, mergeKeyValue(left, mergeKey) ?? null);
      setMember(element, DIRECTIVE_MARKER, DELETE_DIRECTIVE);
      deleted.push(element);
      i++;
    }
  }
  return [changed, deleted];
}

/** Additions and deletions between two scalar lists compared as sorted sets of `%v` texts. */
function diffListsOfScalars(
  original: JsonValue[],
  modified: JsonValue[],
): [added: JsonValue[], deleted: JsonValue[]] {
  const before = sortScalars(original);
  const after = sortScalars(modified);
  const added: JsonValue[] = [];
  const deleted: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const left = before[i];
    const right = after[j];
    const order =
      left === undefined
        ? 1
        : right === undefined
          ? -1
          : compareText(goValue(left), goValue(right));
    if (order === 0) {
      i++;
      j++;
    } else if (order > 0) {
      added.push(right as JsonValue);
      j++;
    } else {
      deleted.push(left as JsonValue);
      i++;
    }
  }
  return [added, dedupeScalars(deleted)];
}

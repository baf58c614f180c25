/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), the
 * server side: applying what `kubectl patch`, `apply`, `edit`, `set`,
 * `label`, `annotate`, `scale` and `drain` send. It is a JSON merge patch in
 * which the schema decides how lists merge (containers by name, ports by
 * containerPort, finalizers as a set, ...) and a few directives (see
 * strategic-merge-directives.ts) delete, replace, reorder and clear.
 *
 * Semantics follow apimachinery's strategicpatch as kube-apiserver runs it
 * (merging parallel lists, ignoring nulls that match nothing). Where upstream
 * keeps junk that its typed decoding later drops (nulls and directives inside
 * replaced values, directive keys in new objects), we drop it here, because
 * the result may be an object without a typed decoder behind it.
 */
import {
  dedupeScalars,
  indexOfElement,
  listElementKind,
  mergeKeyValue,
  normalizeElementOrder,
  partitionByPresence,
  sameElement,
} from "./element-order.ts";
import {
  cloneJson,
  hasMember,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  jsonKind,
  setMember,
} from "./json-value.ts";
import { badRequest, goJsonKind, goValue } from "./patch-error.ts";
import { fieldStrategy, type PatchMeta } from "./patch-meta.ts";
import { patchMetaForType } from "./schema-patch-meta.ts";
import {
  badArgType,
  badPatchType,
  DELETE_DIRECTIVE,
  DELETE_FROM_PRIMITIVE_LIST_PREFIX,
  DIRECTIVE_MARKER,
  directiveTarget,
  ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST,
  ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS,
  ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST,
  hasDirectiveMarker,
  MERGE_DIRECTIVE,
  noMergeKey,
  REPLACE_DIRECTIVE,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER_PREFIX,
  withoutDirectives,
} from "./strategic-merge-directives.ts";

export { createTwoWayMergePatch } from "./strategic-merge-diff.ts";

/**
 * Applies a parsed strategic merge patch to an object of the type `schema`
 * (a ref such as "core/v1.Pod", or explicit metadata for tests and schemas
 * that are not built-in types). Unknown types, and fields without metadata,
 * are patched like JSON merge patch. Throws PatchError; inputs are not
 * modified.
 */
export function strategicMergePatch(
  original: JsonObject,
  patch: unknown,
  schema: string | PatchMeta,
): JsonObject {
  const meta = typeof schema === "string" ? patchMetaForType(schema) : schema;
  // Upstream decodes the body into a map: null is an empty patch, anything else not an object fails.
  if (patch === null) return cloneJson(original);
  if (!isJsonObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`,
    );
  }
  return mergeMap(cloneJson(original), patch, meta);
}

/** Merges `patch` into `original`, which the caller owns and which is modified. */
function mergeMap(original: JsonObject, patch: JsonObject, meta: PatchMeta): JsonObject {
  if (hasMember(patch, DIRECTIVE_MARKER)) return applyMapDirective(patch);
  applyRetainKeys(original, patch);
  const ordered = applySetElementOrder(original, patch, meta);

  for (const [patchKey, patchValue] of Object.entries(patch)) {
    if (
      patchKey === RETAIN_KEYS_DIRECTIVE ||
      patchKey.startsWith(SET_ELEMENT_ORDER_PREFIX) ||
      ordered.has(patchKey)
    ) {
      continue;
    }
    const isDeleteList = patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX);
    const key = isDeleteList
      ? directiveTarget(
          patchKey,
          DELETE_FROM_PRIMITIVE_LIST_PREFIX,
          ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST,
        )
      : patchKey;

    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const current = hasMember(original, key) ? original[key] : undefined;
    if (current === undefined || jsonKind(current) !== jsonKind(patchValue)) {
      // Nothing to merge with: the patch value lands as it is (a deletion list deletes nothing).
      if (!isDeleteList) setPatchValue(original, key, patchValue);
      continue;
    }
    const field = fieldStrategy(meta.field(key));
    if (isJsonObject(current)) {
      // "replace" merges into nothing, so the patch's own directives still apply.
      const target = field.strategy === REPLACE_DIRECTIVE ? {} : current;
      setMember(original, key, mergeMap(target, patchValue as JsonObject, field.child));
    } else if (Array.isArray(current)) {
      // A deletion list deletes whatever the field's strategy.
      const value =
        field.strategy === MERGE_DIRECTIVE || isDeleteList
          ? mergeList(current, patchValue as JsonValue[], {
              field: key,
              mergeKey: field.mergeKey,
              child: field.child,
              isDeleteList,
            })
          : withoutDirectives(patchValue);
      setMember(original, key, value ?? []);
    } else {
      setMember(original, key, patchValue);
    }
  }
  return original;
}

/** `$patch` in an object: `replace` keeps just the patch, `delete` empties the object. */
function applyMapDirective(patch: JsonObject): JsonObject {
  const directive = patch[DIRECTIVE_MARKER] ?? null;
  if (directive === REPLACE_DIRECTIVE) {
    const rest: JsonObject = {};
    for (const [key, value] of Object.entries(patch)) {
      if (key !== DIRECTIVE_MARKER) setMember(rest, key, value);
    }
    return withoutDirectives(rest) as JsonObject;
  }
  if (directive === DELETE_DIRECTIVE) return {};
  throw badPatchType(directive, patch);
}

function setPatchValue(target: JsonObject, key: string, value: JsonValue): void {
  const clean = withoutDirectives(value);
  if (clean === undefined) delete target[key];
  else setMember(target, key, clean);
}

/**
 * `$retainKeys`: clear every member of `original` the list does not name. The
 * patch itself may only set members it names (nulls and directives aside).
 */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasMember(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retained = patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retained)) throw badRequest(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS);
  const keep = new Set(retained.filter((key): key is string => typeof key === "string"));
  for (const [key, value] of Object.entries(patch)) {
    if (
      key === RETAIN_KEYS_DIRECTIVE ||
      value === null ||
      key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) ||
      key.startsWith(SET_ELEMENT_ORDER_PREFIX)
    ) {
      continue;
    }
    if (!keep.has(key)) throw badRequest(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS);
  }
  for (const key of Object.keys(original)) {
    if (!keep.has(key)) delete original[key];
  }
}

/**
 * `$setElementOrder/<field>`: merges the field's list (if the patch has one)
 * and orders the result: the directive's order first, then the patch's, then
 * the server's. Returns the fields it handled, which the caller skips.
 */
function applySetElementOrder(
  original: JsonObject,
  patch: JsonObject,
  meta: PatchMeta,
): Set<string> {
  const handled = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    if (!Array.isArray(order)) throw badArgType([], order);
    const name = directiveTarget(
      key,
      SET_ELEMENT_ORDER_PREFIX,
      ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST,
    );
    const current = hasMember(original, name) ? (original[name] ?? undefined) : undefined;
    const patchList = hasMember(patch, name) ? patch[name] : undefined;
    if (current !== undefined && !Array.isArray(current)) throw badArgType([], current);
    if (patchList !== undefined && !Array.isArray(patchList)) throw badArgType([], patchList);

    const field = fieldStrategy(meta.field(name));
    validateOrderAgainstPatch(patchList ?? [], order, field.mergeKey);
    let merged: JsonValue[];
    if (current && patchList) {
      merged =
        field.strategy === MERGE_DIRECTIVE
          ? mergeList(current, patchList, {
              field: name,
              mergeKey: field.mergeKey,
              child: field.child,
              isDeleteList: false,
            })
          : (withoutDirectives(patchList) as JsonValue[]);
    } else if (current) {
      merged = current;
    } else if (patchList) {
      merged = withoutDirectives(patchList) as JsonValue[];
    } else {
      continue;
    }

    const kind = listElementKind(current ?? [], patchList ?? []);
    if (kind === "object" && !field.mergeKey) {
      throw badRequest(`cannot merge lists without merge key for ${name}`);
    }
    const [patchItems, serverOnly] = partitionByPresence(merged, order, field.mergeKey);
    setMember(
      original,
      name,
      normalizeElementOrder({
        patchItems,
        serverOnly,
        patchOrder: order,
        serverOrder: current ?? [],
        mergeKey: field.mergeKey,
        kind,
      }),
    );
    handled.add(name);
  }
  return handled;
}

/**
 * The patch list's elements must appear in `$setElementOrder` in the same
 * relative order (deletions aside); otherwise the patch contradicts itself.
 */
function validateOrderAgainstPatch(
  patchList: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
): void {
  if (order.length === 0 || patchList.length === 0) return;
  const listed = mergeKey
    ? patchList.filter((item) => {
        if (!isJsonObject(item)) throw badArgType({}, item);
        return item[DIRECTIVE_MARKER] !== DELETE_DIRECTIVE;
      })
    : patchList;
  let inPatch = 0;
  let inOrder = 0;
  while (inPatch < listed.length && inOrder < order.length) {
    const item = listed[inPatch] as JsonValue;
    if (hasDirectiveMarker(item)) {
      inPatch++;
      continue;
    }
    const ordered = order[inOrder] as JsonValue;
    if (mergeKey) {
      if (!isJsonObject(ordered)) throw badArgType({}, ordered);
      if (!hasMember(item as JsonObject, mergeKey)) throw noMergeKey(item as JsonObject, mergeKey);
      if (!hasMember(ordered, mergeKey)) throw noMergeKey(ordered, mergeKey);
    }
    if (sameElement(item, ordered, mergeKey)) inPatch++;
    inOrder++;
  }
  if (inPatch < listed.length) {
    throw badRequest(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goValue(order)}\n`,
    );
  }
}

interface ListContext {
  field: string;
  mergeKey: string;
  child: PatchMeta;
  isDeleteList: boolean;
}

/** Merges a list whose strategy is "merge" (or applies a deletion list). */
function mergeList(original: JsonValue[], patch: JsonValue[], context: ListContext): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = listElementKind(original, patch);
  let merged: JsonValue[];
  let patchItems = patch;
  let serverOrder = original;
  if (kind !== "object") {
    if (context.isDeleteList) {
      return original.filter((item) => indexOfElement(patch, item, "") < 0);
    }
    merged = dedupeScalars([...original, ...patch]);
  } else {
    // Deletion lists are for scalars; upstream would merge these objects in instead.
    if (context.isDeleteList) throw badRequest(ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST);
    if (!context.mergeKey) {
      throw badRequest(`cannot merge lists without merge key for ${context.field}`);
    }
    [serverOrder, patchItems] = applyListDirectives(original, patch, context.mergeKey);
    merged = mergeByKey(serverOrder, patchItems, context);
  }
  const [fromPatch, serverOnly] = partitionByPresence(merged, patchItems, context.mergeKey);
  return normalizeElementOrder({
    patchItems: fromPatch,
    serverOnly,
    patchOrder: patchItems,
    serverOrder,
    mergeKey: context.mergeKey,
    kind,
  });
}

/**
 * Elements carrying `$patch`: `delete` removes every element with that merge
 * key, `replace` makes the other patch elements the whole list.
 * Returns the list to merge into and the plain patch elements.
 */
function applyListDirectives(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const plain: JsonValue[] = [];
  let replace = false;
  let remaining = original;
  for (const item of patch) {
    const element = item as JsonObject;
    if (!hasMember(element, DIRECTIVE_MARKER)) {
      plain.push(element);
      continue;
    }
    const directive = element[DIRECTIVE_MARKER] ?? null;
    if (directive === DELETE_DIRECTIVE) {
      if (!hasMember(element, mergeKey)) throw noMergeKey(element, mergeKey);
      const key = element[mergeKey] ?? null;
      remaining = remaining.filter(
        (candidate) => !sameElement(candidate, { [mergeKey]: key }, mergeKey),
      );
    } else if (directive === REPLACE_DIRECTIVE) {
      replace = true;
    } else if (directive === MERGE_DIRECTIVE) {
      throw badRequest("merging lists cannot yet be specified in the patch");
    } else {
      throw badPatchType(directive, element);
    }
  }
  if (replace) return [withoutDirectives(plain) as JsonValue[], []];
  return [remaining, plain];
}

/** Merges each patch element into the element with its merge key, or appends it. */
function mergeByKey(original: JsonValue[], patch: JsonValue[], context: ListContext): JsonValue[] {
  const result = [...original];
  for (const item of patch) {
    const element = item as JsonObject;
    if (mergeKeyValue(element, context.mergeKey) === undefined) {
      throw noMergeKey(element, context.mergeKey);
    }
    // Later patch elements with the same key merge into the one appended before them.
    const at = indexOfElement(result, element, context.mergeKey);
    const existing = at >= 0 ? result[at] : undefined;
    if (isJsonObject(existing)) {
      result[at] = mergeMap(existing, element, context.child);
    } else {
      result.push(withoutDirectives(element) as JsonObject);
    }
  }
  return result;
}

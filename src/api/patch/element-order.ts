/**
 * The order of a merged list, as upstream computes it, plus the element
 * helpers (kinds, merge-key identity) that list merging and diffing share.
 *
 * Merging a list splits the result into elements the patch names (in the
 * patch's order, or `$setElementOrder`'s) and elements only the server had
 * (in their old order), then interleaves them: a server-only element goes
 * before a patch element only when both were in the old list in that order.
 * One consequence users see: an element new to the list lands before the
 * server-only ones, so `{"finalizers": ["d"]}` on [a, b, c] gives [d, a, b, c].
 * kubectl sends `$setElementOrder` with its patches to pin the order it wants.
 */
import {
  hasMember,
  isJsonObject,
  type JsonKind,
  type JsonValue,
  jsonEqual,
  jsonKind,
} from "./json-value.ts";
import { badRequest, goValue } from "./patch-error.ts";
import { badArgType, noListOfLists, noMergeKey } from "./strategic-merge-directives.ts";

/**
 * The one kind all elements share; undefined when there are none. Mixed kinds
 * and lists of lists cannot be merged.
 */
export function listElementKind(...lists: readonly JsonValue[][]): JsonKind | undefined {
  let kind: JsonKind | undefined;
  for (const list of lists) {
    for (const item of list) {
      const current = jsonKind(item);
      if (kind === undefined) {
        if (current === "array") throw noListOfLists();
        kind = current;
      } else if (current !== kind) {
        throw badRequest(`list element types are not identical: ${goValue(lists as JsonValue[])}`);
      }
    }
  }
  return kind;
}

/** The merge key's value of a list element; undefined when it has none. */
export function mergeKeyValue(
  item: JsonValue | undefined,
  mergeKey: string,
): JsonValue | undefined {
  return isJsonObject(item) && hasMember(item, mergeKey) ? item[mergeKey] : undefined;
}

/** Same element: same merge-key value, or equal values for lists without a merge key. */
export function sameElement(a: JsonValue, b: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return jsonEqual(a, b);
  const left = mergeKeyValue(a, mergeKey);
  const right = mergeKeyValue(b, mergeKey);
  return left === undefined || right === undefined ? left === right : jsonEqual(left, right);
}

export function indexOfElement(
  list: readonly JsonValue[],
  item: JsonValue,
  mergeKey: string,
): number {
  return list.findIndex((candidate) => sameElement(candidate, item, mergeKey));
}

/** Every element must be an object carrying the merge key. */
export function requireMergeKeys(mergeKey: string, ...lists: readonly JsonValue[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isJsonObject(item)) throw badArgType({}, item);
      if (!hasMember(item, mergeKey)) throw noMergeKey(item, mergeKey);
    }
  }
}

/** Splits `merged` into the elements `by` names and the others, keeping their order. */
export function partitionByPresence(
  merged: readonly JsonValue[],
  by: readonly JsonValue[],
  mergeKey: string,
): [present: JsonValue[], absent: JsonValue[]] {
  if (mergeKey) requireMergeKeys(mergeKey, merged as JsonValue[]);
  const present: JsonValue[] = [];
  const absent: JsonValue[] = [];
  for (const item of merged) {
    (indexOfElement(by, item, mergeKey) >= 0 ? present : absent).push(item);
  }
  return [present, absent];
}

/**
 * Puts the patch's elements in `patchOrder`, the server-only ones in
 * `serverOrder`, then interleaves them (see the header).
 */
export function normalizeElementOrder(options: {
  patchItems: JsonValue[];
  serverOnly: JsonValue[];
  patchOrder: readonly JsonValue[];
  serverOrder: readonly JsonValue[];
  mergeKey: string;
  kind: JsonKind | undefined;
}): JsonValue[] {
  const { patchOrder, serverOrder, mergeKey } = options;
  if (options.kind === "object") {
    requireMergeKeys(mergeKey, options.patchItems, patchOrder as JsonValue[]);
    requireMergeKeys(mergeKey, options.serverOnly, serverOrder as JsonValue[]);
  }
  const fromPatch = sortByOrder(options.patchItems, patchOrder, mergeKey);
  const fromServer = sortByOrder(options.serverOnly, serverOrder, mergeKey);
  const result: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < fromServer.length || j < fromPatch.length) {
    const left = fromServer[i];
    const right = fromPatch[j];
    if (right === undefined) {
      result.push(left as JsonValue);
      i++;
    } else if (left === undefined) {
      result.push(right);
      j++;
    } else {
      const leftAt = indexOfElement(serverOrder, left, mergeKey);
      const rightAt = indexOfElement(serverOrder, right, mergeKey);
      if (leftAt >= 0 && rightAt >= 0 && leftAt < rightAt) {
        result.push(left);
        i++;
      } else {
        result.push(right);
        j++;
      }
    }
  }
  return result;
}

/**
 * Stable sort by position in `order`. Elements `order` does not name cannot
 * occur when the order comes from the same patch; they keep their relative
 * order after the named ones (upstream's comparator leaves them undefined).
 */
export function sortByOrder(
  items: readonly JsonValue[],
  order: readonly JsonValue[],
  mergeKey: string,
): JsonValue[] {
  const ranked = items.map((item, position) => {
    const rank = indexOfElement(order, item, mergeKey);
    return { item, position, rank: rank < 0 ? Number.POSITIVE_INFINITY : rank };
  });
  ranked.sort((a, b) => (a.rank === b.rank ? a.position - b.position : a.rank < b.rank ? -1 : 1));
  return ranked.map((entry) => entry.item);
}

/** Removes repeated scalars, keeping first occurrences. */
export function dedupeScalars(items: readonly JsonValue[]): JsonValue[] {
  const result: JsonValue[] = [];
  for (const item of items) {
    if (!result.some((kept) => jsonEqual(kept, item))) result.push(item);
  }
  return result;
}

/** Upstream sorts scalars by their `%v` text (so 10 sorts before 9). */
export function sortScalars(items: readonly JsonValue[]): JsonValue[] {
  return [...items].sort((a, b) => compareText(goValue(a), goValue(b)));
}

/** Plain code-unit comparison, as Go compares strings (the same order for ASCII). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

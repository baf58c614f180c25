/**
 * What strategic merge patch needs to know about an object's fields, and
 * nothing more: each field's patch strategy and merge key, and the metadata of
 * what the field holds. Built-in kinds get it from the schema
 * (schema-patch-meta.ts); tests and, later, CRD schemas can supply their own.
 */

export interface FieldPatchMeta {
  /**
   * The field's `patchStrategy`, split on commas: "merge" (lists merged by
   * `mergeKey`, or as sets for scalars), "replace" (objects replaced whole),
   * "retainKeys" (a `$retainKeys` directive may clear other members), or
   * "retainKeys" with one of the others.
   */
  readonly strategies: readonly string[];
  /** The `patchMergeKey` that identifies elements of a merged list of objects. */
  readonly mergeKey?: string;
  /** Metadata of what the field holds: an object's fields, a map's values, a list's elements. */
  readonly child: PatchMeta;
}

export interface PatchMeta {
  /**
   * Metadata of the field `name` of an object (of any key, for a map).
   * Undefined means nothing is known: the field is patched the way JSON merge
   * patch does it (objects merged, lists replaced), which is also how
   * upstream treats types it has no metadata for.
   */
  field(name: string): FieldPatchMeta | undefined;
}

export const UNKNOWN_PATCH_META: PatchMeta = { field: () => undefined };

/** A field's strategy as strategic merge patch applies it. */
export interface FieldStrategy {
  /** "merge", "replace" or "" (the default: objects merge, lists replace). */
  strategy: string;
  retainKeys: boolean;
  /** "" when the field has none. */
  mergeKey: string;
  child: PatchMeta;
}

/**
 * Splits retainKeys from the other strategy. More than one other strategy is
 * a schema mistake, not a patch mistake, so it is a plain Error (500).
 */
export function fieldStrategy(meta: FieldPatchMeta | undefined): FieldStrategy {
  if (!meta) return { strategy: "", retainKeys: false, mergeKey: "", child: UNKNOWN_PATCH_META };
  const others = meta.strategies.filter((s) => s !== "retainKeys" && s !== "");
  if (others.length > 1 || meta.strategies.length > 2) {
    throw new Error(`unexpected patch strategy: [${meta.strategies.join(" ")}]`);
  }
  return {
    strategy: others[0] ?? "",
    retainKeys: meta.strategies.includes("retainKeys"),
    mergeKey: meta.mergeKey ?? "",
    child: meta.child,
  };
}

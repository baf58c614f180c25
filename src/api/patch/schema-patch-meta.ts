/**
 * PatchMeta for built-in kinds, read from the project schema: the
 * `patchStrategy` and `patchMergeKey` struct tags upstream reads from its Go
 * types. Only those tags count; `listType` is server-side apply's business
 * (PodStatus.hostIPs is `listType=atomic` yet merges by `ip` here, as
 * upstream).
 *
 * Custom-serialised types (Time, Quantity, IntOrString, RawExtension, …) are
 * opaque: their JSON is a scalar or arbitrary JSON, never their fields.
 */
import { type FieldType, typeSchema } from "../../resources/schema/schema.ts";
import { type FieldPatchMeta, type PatchMeta, UNKNOWN_PATCH_META } from "./patch-meta.ts";

const byRef = new Map<string, PatchMeta>();

/** Metadata for a type ref such as "core/v1.Pod"; unknown refs patch like JSON merge patch. */
export function patchMetaForType(ref: string): PatchMeta {
  const cached = byRef.get(ref);
  if (cached) return cached;
  const schema = typeSchema(ref);
  let meta = UNKNOWN_PATCH_META;
  if (schema && !schema.custom) {
    // Fields resolve on first use, so recursive types (JSONSchemaProps) cost nothing up front.
    const fields = new Map<string, FieldPatchMeta | undefined>();
    meta = {
      field(name) {
        if (fields.has(name)) return fields.get(name);
        const field = schema.field(name);
        const found: FieldPatchMeta | undefined = field && {
          strategies: field.patchStrategy ?? [],
          ...(field.patchMergeKey ? { mergeKey: field.patchMergeKey } : {}),
          child: metaForValue(field.type),
        };
        fields.set(name, found);
        return found;
      },
    };
  }
  byRef.set(ref, meta);
  return meta;
}

/** Metadata of what a field of this type holds. */
function metaForValue(type: FieldType): PatchMeta {
  switch (type.kind) {
    case "message":
      return patchMetaForType(type.ref);
    case "list":
      return metaForValue(type.elem);
    case "map": {
      // Every key of a map is a field without strategy whose value has the map's value type.
      const value: FieldPatchMeta = { strategies: [], child: metaForValue(type.value) };
      return { field: () => value };
    }
    default:
      return UNKNOWN_PATCH_META;
  }
}

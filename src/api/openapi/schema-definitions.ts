/**
 * OpenAPI schemas of built-in types, rendered from the one schema in
 * src/resources/schema the way kube-openapi renders Go types:
 * - struct fields become properties; a field is required unless it is
 *   omitempty or marked optional;
 * - strategic-merge and server-side-apply facts become the
 *   x-kubernetes-patch-strategy / -patch-merge-key / -list-type /
 *   -list-map-keys / -map-type extensions (kubectl apply computes its
 *   patches from them);
 * - custom-serialised types keep their own definitions (Time is a date-time
 *   string, Quantity a string, IntOrString a string of format int-or-string);
 * - v2 puts siblings of a `$ref` next to it; v3 wraps the `$ref` in `allOf`
 *   (a `$ref` hides its siblings in OpenAPI 3.0) and adds the zero-value
 *   `default` of non-pointer fields.
 */

import {
  type FieldSchema,
  type FieldType,
  type TypeSchema,
  typeSchema,
} from "../../resources/schema/schema.ts";
import type { GroupVersionKind } from "../discovery/discovery-types.ts";
import { definitionName, definitionPointer } from "./definition-name.ts";
import { publishedEnum } from "./published-enums.ts";

export type OpenApiFlavour = "v2" | "v3";
export type JsonSchema = { [key: string]: unknown };

/**
 * The definitions of `roots` and of every type they reach, keyed and sorted by
 * definition name. `gvks` names the definitions that are API kinds.
 */
export function buildDefinitions(
  roots: Iterable<string>,
  flavour: OpenApiFlavour,
  gvks: ReadonlyMap<string, readonly GroupVersionKind[]>,
): Record<string, JsonSchema> {
  const pending = [...roots];
  const seen = new Set(pending);
  const rendered: [string, JsonSchema][] = [];
  while (pending.length) {
    const ref = pending.pop() as string;
    const renderer = new DefinitionRenderer(flavour, ref, gvks.get(ref));
    rendered.push([definitionName(ref), renderer.render()]);
    for (const next of renderer.references) {
      if (!seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  rendered.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(rendered);
}

/** Fields every API kind has, described as upstream does (the schema carries no documentation). */
const kindFieldDescriptions: Record<string, string> = {
  apiVersion:
    "APIVersion defines the versioned schema of this representation of an object: the group and version of its kind.",
  kind: "Kind is a string value representing the REST resource this object represents. In CamelCase. Cannot be updated.",
  metadata: "Standard object's metadata.",
  spec: "Specification of the desired behavior of the object.",
  status: "Most recently observed status of the object. Populated by the system. Read-only.",
};

const customDescriptions: Record<string, string> = {
  Time: "A timestamp in RFC 3339 form, to the second, such as 2006-01-02T15:04:05Z.",
  MicroTime: "A timestamp in RFC 3339 form with microseconds, such as 2006-01-02T15:04:05.000000Z.",
  Duration: "A duration in Go's notation, such as 1m30s.",
  Quantity:
    "A fixed-point number with an optional decimal SI suffix (m, k, M, G, …), binary suffix (Ki, Mi, Gi, …) or exponent, such as 100m, 1.5Gi or 1e3.",
  IntOrString: "An int32 or a string: a port number or a port name, a count or a percentage.",
  RawExtension: "An embedded object of any kind, in its JSON form.",
  FieldsV1: "The fields a managed-fields entry owns, in the FieldsV1 JSON form.",
  Patch: "The body of a PATCH request, in the patch format its Content-Type names.",
};

class DefinitionRenderer {
  /** Schema references the rendered definition points to. */
  readonly references = new Set<string>();

  constructor(
    private readonly flavour: OpenApiFlavour,
    private readonly ref: string,
    private readonly gvks: readonly GroupVersionKind[] | undefined,
  ) {}

  render(): JsonSchema {
    const schema = typeSchema(this.ref);
    // A reference the schema does not know (a kind whose type is not written
    // yet) stays a valid, permissive object rather than a dangling $ref.
    if (!schema) return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    if (schema.custom) return this.custom(schema.custom);
    return this.object(schema);
  }

  private custom(custom: string): JsonSchema {
    const description = customDescriptions[custom];
    const described = (body: JsonSchema): JsonSchema =>
      description ? { description, ...body } : body;
    switch (custom) {
      case "Time":
      case "MicroTime":
        return described({ format: "date-time", type: "string" });
      case "Quantity":
        return described(
          this.flavour === "v2"
            ? { type: "string" }
            : { oneOf: [{ type: "string" }, { type: "number" }] },
        );
      case "IntOrString":
        return described(
          this.flavour === "v2"
            ? { format: "int-or-string", type: "string" }
            : { format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] },
        );
      case "RawExtension":
      case "FieldsV1":
      case "Patch":
        return described({ type: "object" });
      default:
        return described({ type: "string" });
    }
  }

  private object(schema: TypeSchema): JsonSchema {
    const definition: JsonSchema = {};
    const fields = [...schema.fields].sort((a, b) =>
      a.json < b.json ? -1 : a.json > b.json ? 1 : 0,
    );
    if (fields.length) {
      definition.properties = Object.fromEntries(fields.map((f) => [f.json, this.field(f)]));
    }
    const required = schema.fields.filter(isRequired).map((f) => f.json);
    if (required.length) definition.required = required;
    definition.type = "object";
    if (this.gvks?.length) definition["x-kubernetes-group-version-kind"] = this.gvks;
    if (schema.structType === "atomic") definition["x-kubernetes-map-type"] = "atomic";
    return definition;
  }

  private field(field: FieldSchema): JsonSchema {
    const extras: JsonSchema = {};
    const isListMeta = field.type.kind === "message" && field.type.ref === "meta/v1.ListMeta";
    const description = this.gvks?.length
      ? isListMeta
        ? "Standard list metadata."
        : kindFieldDescriptions[field.json]
      : undefined;
    if (description) extras.description = description;
    if (this.flavour === "v3") {
      const value = defaultOf(field);
      if (value !== undefined) extras.default = value;
    }
    const enumValues = publishedEnum(this.ref, field);
    let base = this.type(field.type);
    if (enumValues) {
      if (field.type.kind === "list") {
        base = { ...base, items: { ...(base.items as JsonSchema), enum: enumValues } };
      } else {
        extras.enum = enumValues;
      }
    }
    if (field.listType) extras["x-kubernetes-list-type"] = field.listType;
    if (field.listMapKeys) extras["x-kubernetes-list-map-keys"] = field.listMapKeys;
    if (field.mapType) extras["x-kubernetes-map-type"] = field.mapType;
    if (field.patchMergeKey) extras["x-kubernetes-patch-merge-key"] = field.patchMergeKey;
    if (field.patchStrategy) extras["x-kubernetes-patch-strategy"] = field.patchStrategy.join(",");
    return this.withSiblings(base, extras);
  }

  /** A `$ref` with siblings: next to it in v2, wrapped in allOf in v3 (OpenAPI 3.0 ignores them otherwise). */
  private withSiblings(base: JsonSchema, extras: JsonSchema): JsonSchema {
    if (Object.keys(extras).length === 0) return base;
    if ("$ref" in base && this.flavour === "v3") return { allOf: [base], ...extras };
    return { ...base, ...extras };
  }

  private type(type: FieldType): JsonSchema {
    switch (type.kind) {
      case "scalar":
        return scalarSchema(type.name);
      case "message":
        this.references.add(type.ref);
        return { $ref: definitionPointer(type.ref, this.flavour) };
      case "list":
        return { items: this.element(type.elem), type: "array" };
      case "map":
        return { additionalProperties: this.element(type.value), type: "object" };
    }
  }

  /** List elements and map values: in v3 with the zero default of a non-pointer element, as upstream. */
  private element(type: FieldType): JsonSchema {
    const base = this.type(type);
    if (this.flavour === "v2") return base;
    const value = zeroOf(type);
    return value === undefined ? base : this.withSiblings(base, { default: value });
  }
}

function scalarSchema(name: string): JsonSchema {
  switch (name) {
    case "bool":
      return { type: "boolean" };
    case "int32":
    case "int64":
      return { format: name, type: "integer" };
    case "float32":
    case "float64":
      return { format: "double", type: "number" };
    case "bytes":
      return { format: "byte", type: "string" };
    case "any":
      return { type: "object" };
    default:
      return { type: "string" };
  }
}

/** kube-openapi's rule: required unless omitempty or marked optional. */
function isRequired(field: FieldSchema): boolean {
  return field.required || (!field.optional && !field.omitempty && !field.omitzero);
}

/** The `+default=` marker when it is a JSON value, else the zero value of a non-pointer field. */
function defaultOf(field: FieldSchema): unknown {
  if (field.default !== undefined) {
    try {
      return JSON.parse(field.default);
    } catch {
      // `ref(ConstName)` markers name a Go constant; there is no value to publish.
      return undefined;
    }
  }
  if (field.pointer) return undefined;
  if (field.type.kind === "message") return zeroOf(field.type);
  if (field.omitempty || field.omitzero) return undefined;
  return zeroOf(field.type);
}

/** The zero value upstream publishes as the default: {} for structs, "" / 0 / false for scalars. */
function zeroOf(type: FieldType): unknown {
  if (type.kind === "message") return typeSchema(type.ref)?.custom ? undefined : {};
  if (type.kind !== "scalar") return undefined;
  switch (type.name) {
    case "string":
      return "";
    case "bool":
      return false;
    case "int32":
    case "int64":
    case "float32":
    case "float64":
      return 0;
    default:
      return undefined;
  }
}

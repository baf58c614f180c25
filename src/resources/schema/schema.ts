/**
 * The schema of every built-in Kubernetes object type, read from the
 * generated tables in types.generated.ts (see scripts/gen-schema.ts).
 *
 * Two views of each type:
 * - `fields`: the JSON view. Inline embedded structs (TypeMeta, the
 *   VolumeSource inside Volume, LocalObjectReference inside
 *   ConfigMapKeySelector, …) are flattened into their parent, the way Go's
 *   encoding/json sees them. A flattened field's `proto` describes it inside
 *   the message that declares it (`inlinedFrom`), not inside the parent.
 * - `wire`: the protobuf view, the fields of this message as numbered on the
 *   wire. An inline embedded struct stays one nested message there
 *   (`embedded`), so a decoder reads it and merges its fields into the parent.
 *
 * Custom-serialised types (`custom` set) are a string or number in JSON, so
 * their `fields` are empty; `wire` lists the protobuf fields of their
 * hand-written message by name (Time: seconds, nanos; Quantity: string;
 * IntOrString: type, intVal, strVal).
 *
 * Everything is built lazily on first lookup and cached; lookups never throw.
 */
import { FieldFlag, type RawField, RawFieldIndex, type RawType } from "./raw-schema.ts";
import { ENUMS, PROTO_PACKAGES, TYPES } from "./types.generated.ts";

export type FieldType =
  | { kind: "scalar"; name: "string" | "bool" | "int32" | "int64" | "float64" | "bytes" | string }
  | { kind: "message"; ref: string }
  /** `wrapper`: on the wire the list is one message of that type holding `items` (meta/v1.Verbs). */
  | { kind: "list"; elem: FieldType; wrapper?: string }
  | { kind: "map"; key: FieldType; value: FieldType };

export interface ProtoInfo {
  number: number;
  wireType: 0 | 1 | 2 | 5;
  repeated: boolean;
  map: boolean;
  protoType: string;
}

export interface FieldSchema {
  /** JSON name, never empty: inline embedded structs are flattened. */
  json: string;
  type: FieldType;
  optional: boolean;
  omitempty: boolean;
  /** Go `omitzero`: a zero struct is left out of JSON. */
  omitzero: boolean;
  /** A Go pointer: present-but-zero differs from absent (e.g. `replicas: 0`). */
  pointer: boolean;
  required: boolean;
  proto?: ProtoInfo;
  patchStrategy?: string[];
  patchMergeKey?: string;
  listType?: "atomic" | "set" | "map";
  listMapKeys?: string[];
  mapType?: "atomic" | "granular";
  /** Allowed values of a string enum (of the elements, for a list). */
  enum?: string[];
  /** The `+default=` marker as written upstream (JSON, or `ref(ConstName)`). */
  default?: string;
  /** Set when flattened from an inline embedded struct: the type that declares the field. */
  inlinedFrom?: string;
}

/** One field of a message as numbered on the protobuf wire. */
export interface WireField {
  proto: ProtoInfo;
  type: FieldType;
  /** The JSON field it fills; undefined for an embedded struct or a field JSON never shows. */
  field?: FieldSchema;
  /** Inline embedded struct: decode as this message and merge into the parent. */
  embedded?: string;
  /** The JSON name, or for fields JSON never shows the protobuf name (Unknown.raw, Time.seconds); "" when embedded. */
  name: string;
}

export interface TypeSchema {
  ref: string;
  fields: readonly FieldSchema[];
  field(json: string): FieldSchema | undefined;
  custom?:
    | "Time"
    | "MicroTime"
    | "Quantity"
    | "IntOrString"
    | "RawExtension"
    | "FieldsV1"
    | "Duration"
    | string;
  /** Fully qualified protobuf message name, e.g. `k8s.io.api.core.v1.Pod`; undefined when none. */
  protoMessage?: string;
  /** `+structType=atomic`: server-side apply replaces it as a whole. */
  structType?: "atomic" | "granular";
  /** Inline embedded structs in declaration order, with their wire number when they are on the wire. */
  embeds: readonly { ref: string; number?: number }[];
  wire: readonly WireField[];
  wireField(number: number): WireField | undefined;
}

const rawByRef = new Map<string, RawType>(TYPES.map((t) => [t[0], t]));
const built = new Map<string, TypeSchema>();
const parsedTypes = new Map<string, FieldType>();

/** All known type refs, in package order. */
export function typeRefs(): readonly string[] {
  return TYPES.map((t) => t[0]);
}

export function typeSchema(ref: string): TypeSchema | undefined {
  const cached = built.get(ref);
  if (cached) return cached;
  const raw = rawByRef.get(ref);
  if (!raw) return undefined;
  const schema = buildType(raw, new Set());
  built.set(ref, schema);
  return schema;
}

/**
 * The field reached by walking JSON names from a type. Lists and maps are
 * walked through to their element type; a segment after a map names a key
 * (any key), and all-digit segments after a list are indexes. A path ending
 * on a key or an index gives the list or map field itself.
 */
export function fieldAt(ref: string, path: readonly string[]): FieldSchema | undefined {
  let current: FieldType = { kind: "message", ref };
  let found: FieldSchema | undefined;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string;
    if (current.kind === "list" && /^\d+$/.test(segment)) {
      current = current.elem;
      continue;
    }
    if (current.kind === "map") {
      current = current.value;
      continue;
    }
    while (current.kind === "list") current = current.elem;
    if (current.kind !== "message") return undefined;
    // Custom types (Time, Quantity …) are leaves in JSON: field() finds nothing in them.
    found = typeSchema(current.ref)?.field(segment);
    if (!found) return undefined;
    current = found.type;
  }
  return found;
}

/** Parses the generator's type codes (see raw-schema.ts). */
export function parseTypeCode(code: string): FieldType {
  const cached = parsedTypes.get(code);
  if (cached) return cached;
  let type: FieldType;
  if (code.startsWith("@")) {
    type = { kind: "message", ref: code.slice(1) };
  } else if (code.startsWith("map[")) {
    const close = code.indexOf("]");
    type = {
      kind: "map",
      key: parseTypeCode(code.slice(4, close)),
      value: parseTypeCode(code.slice(close + 1)),
    };
  } else if (code.startsWith("[]")) {
    type = { kind: "list", elem: parseTypeCode(code.slice(2)) };
  } else if (code.startsWith("[")) {
    const close = code.indexOf("]");
    type = {
      kind: "list",
      elem: parseTypeCode(code.slice(close + 1)),
      wrapper: code.slice(1, close),
    };
  } else {
    type = { kind: "scalar", name: code };
  }
  parsedTypes.set(code, type);
  return type;
}

function buildType(raw: RawType, visiting: Set<string>): TypeSchema {
  const [ref, rawFields, protoMessageCode = "", custom = "", structType = ""] = raw;
  visiting.add(ref);
  const fields: FieldSchema[] = [];
  const wire: WireField[] = [];
  const embeds: { ref: string; number?: number }[] = [];
  for (const rawField of rawFields) {
    const json = rawField[RawFieldIndex.Json] as string;
    const type = parseTypeCode(rawField[RawFieldIndex.Type] as string);
    const proto = protoOf(rawField);
    if (json === "" && type.kind === "message") {
      embeds.push(proto ? { ref: type.ref, number: proto.number } : { ref: type.ref });
      if (proto) wire.push({ proto, type, embedded: type.ref, name: "" });
      // A cycle through inline structs cannot happen in Go; guard anyway.
      const inner = visiting.has(type.ref) ? undefined : rawByRef.get(type.ref);
      if (!inner) continue;
      const innerSchema = built.get(type.ref) ?? buildType(inner, visiting);
      built.set(type.ref, innerSchema);
      for (const f of innerSchema.fields)
        fields.push(f.inlinedFrom ? f : { ...f, inlinedFrom: type.ref });
      continue;
    }
    // A custom type's fields are its wire message only: its JSON is a string or number.
    const field = json.startsWith("-") || custom ? undefined : fieldOf(json, type, rawField, proto);
    if (field) fields.push(field);
    const name = json.startsWith("-") ? json.slice(1) : json;
    if (proto) wire.push(field ? { proto, type, field, name } : { proto, type, name });
  }
  visiting.delete(ref);
  const byJson = new Map(fields.map((f) => [f.json, f]));
  const byNumber = new Map(wire.map((w) => [w.proto.number, w]));
  const pkg = ref.slice(0, ref.lastIndexOf("."));
  const protoPackage = PROTO_PACKAGES[pkg];
  const protoMessage =
    protoMessageCode === "-"
      ? undefined
      : protoMessageCode ||
        (protoPackage ? `${protoPackage}.${ref.slice(pkg.length + 1)}` : undefined);
  const schema: TypeSchema = {
    ref,
    fields,
    field: (name) => byJson.get(name),
    embeds,
    wire,
    wireField: (number) => byNumber.get(number),
  };
  if (custom) schema.custom = custom;
  if (protoMessage) schema.protoMessage = protoMessage;
  if (structType === "atomic" || structType === "granular") schema.structType = structType;
  return schema;
}

function protoOf(raw: RawField): ProtoInfo | undefined {
  const number = raw[RawFieldIndex.ProtoNumber] as number | undefined;
  if (!number) return undefined;
  const flags = raw[RawFieldIndex.Flags] as number;
  return {
    number,
    wireType: raw[RawFieldIndex.WireType] as 0 | 1 | 2 | 5,
    repeated: (flags & FieldFlag.Repeated) !== 0,
    map: (flags & FieldFlag.Map) !== 0,
    protoType: raw[RawFieldIndex.ProtoType] as string,
  };
}

function fieldOf(
  json: string,
  type: FieldType,
  raw: RawField,
  proto: ProtoInfo | undefined,
): FieldSchema {
  const flags = raw[RawFieldIndex.Flags] as number;
  const text = (index: number) => (raw[index] as string | undefined) ?? "";
  const field: FieldSchema = {
    json,
    type,
    optional: (flags & FieldFlag.Optional) !== 0,
    omitempty: (flags & FieldFlag.OmitEmpty) !== 0,
    omitzero: (flags & FieldFlag.OmitZero) !== 0,
    pointer: (flags & FieldFlag.Pointer) !== 0,
    required: (flags & FieldFlag.Required) !== 0,
  };
  if (proto) field.proto = proto;
  const patchStrategy = text(RawFieldIndex.PatchStrategy);
  if (patchStrategy) field.patchStrategy = patchStrategy.split(",");
  const mergeKey = text(RawFieldIndex.PatchMergeKey);
  if (mergeKey) field.patchMergeKey = mergeKey;
  const listType = text(RawFieldIndex.ListType);
  if (listType) field.listType = listType as FieldSchema["listType"];
  const listMapKeys = text(RawFieldIndex.ListMapKeys);
  if (listMapKeys) field.listMapKeys = listMapKeys.split(",");
  const mapType = text(RawFieldIndex.MapType);
  if (mapType) field.mapType = mapType as FieldSchema["mapType"];
  const enumValues = ENUMS[text(RawFieldIndex.Enum)];
  if (enumValues) field.enum = [...enumValues];
  const markerDefault = text(RawFieldIndex.Default);
  if (markerDefault) field.default = markerDefault;
  return field;
}

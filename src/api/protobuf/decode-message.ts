/**
 * Schema-driven protobuf → JSON for Kubernetes messages. The JSON is what
 * Go's encoding/json would print for the decoded Go struct:
 * - fields in struct order, inline embedded structs flattened;
 * - a non-pointer scalar left out when `omitempty` and zero, otherwise printed
 *   (gogo writes every non-pointer field, so zeros do arrive on the wire);
 * - a nil pointer, slice or map left out when `omitempty`, else `null`;
 * - a non-pointer struct always printed, as its zero JSON when absent
 *   (`resources: {}`), unless `omitzero` and zero;
 * - bytes as base64, custom types as custom-types.ts describes.
 * A message field sent twice keeps the last value (protobuf would merge).
 */
import type {
  FieldSchema,
  FieldType,
  TypeSchema,
  WireField,
} from "../../resources/schema/schema.ts";
import { typeSchema } from "../../resources/schema/schema.ts";
import { customToJSON, customZeroJSON } from "./custom-types.ts";
import { ProtobufDecodeError } from "./protobuf-decode-error.ts";
import { isZeroScalar, readScalar, scalarWireType, zeroScalar } from "./scalar-codec.ts";
import { type WireReader, WireType } from "./wire-reader.ts";

export interface DecodeContext {
  /** Decodes a `k8s\0` envelope nested in a RawExtension. */
  nested(raw: Uint8Array): unknown;
}

/** Decodes one message of type `ref` into its JSON object. */
export function decodeMessage(ref: string, reader: WireReader, ctx: DecodeContext): unknown {
  const schema = requireSchema(ref);
  const values = new Map<string, unknown>();
  readFields(schema, reader, values, ctx);
  if (schema.custom) return customToJSON(schema.custom, values, (raw) => ctx.nested(raw));
  return emitObject(schema, values);
}

/** Go's JSON for a struct whose fields are all zero. */
export function zeroJSON(ref: string): unknown {
  const schema = requireSchema(ref);
  if (schema.custom) return customZeroJSON(schema.custom);
  return emitObject(schema, new Map());
}

function requireSchema(ref: string): TypeSchema {
  const schema = typeSchema(ref);
  if (!schema) throw new ProtobufDecodeError(`no schema for ${ref}`);
  return schema;
}

function readFields(
  schema: TypeSchema,
  reader: WireReader,
  values: Map<string, unknown>,
  ctx: DecodeContext,
) {
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    const wire = schema.wireField(field);
    if (!wire) {
      reader.skip(wireType);
      continue;
    }
    if (wire.embedded) {
      expectWireType(schema, wire, wireType, WireType.LengthDelimited);
      readFields(requireSchema(wire.embedded), reader.message(), values, ctx);
      continue;
    }
    const key = wire.name;
    readField(schema, wire, key, reader, wireType, values, ctx);
  }
}

function readField(
  schema: TypeSchema,
  wire: WireField,
  key: string,
  reader: WireReader,
  wireType: number,
  values: Map<string, unknown>,
  ctx: DecodeContext,
): void {
  const type = wire.type;
  if (type.kind === "list") {
    if (type.wrapper) {
      expectWireType(schema, wire, wireType, WireType.LengthDelimited);
      const wrapped = decodeMessage(type.wrapper, reader.message(), ctx) as { items?: unknown[] };
      values.set(key, wrapped.items ?? []);
      return;
    }
    let list = values.get(key) as unknown[] | undefined;
    if (!list) {
      list = [];
      values.set(key, list);
    }
    const elemWire = wireTypeOf(type.elem);
    if (wireType === WireType.LengthDelimited && elemWire !== WireType.LengthDelimited) {
      // Packed repeated scalars: Kubernetes sends them unpacked, other encoders may not.
      const packed = reader.message();
      while (!packed.done) list.push(readValue(type.elem, packed, ctx));
      return;
    }
    expectWireType(schema, wire, wireType, elemWire);
    list.push(readValue(type.elem, reader, ctx));
    return;
  }
  if (type.kind === "map") {
    expectWireType(schema, wire, wireType, WireType.LengthDelimited);
    let map = values.get(key) as Record<string, unknown> | undefined;
    if (!map) {
      map = {};
      values.set(key, map);
    }
    readMapEntry(schema, wire, type, reader.message(), map, ctx);
    return;
  }
  expectWireType(schema, wire, wireType, wireTypeOf(type));
  // Plain bytes stay raw here: custom types (RawExtension) need them; emitObject encodes the rest.
  values.set(
    key,
    type.kind === "scalar" ? readScalar(reader, type.name) : readValue(type, reader, ctx),
  );
}

function readMapEntry(
  schema: TypeSchema,
  wire: WireField,
  type: Extract<FieldType, { kind: "map" }>,
  entry: WireReader,
  map: Record<string, unknown>,
  ctx: DecodeContext,
): void {
  let key: unknown = zeroValue(type.key);
  let value: unknown;
  let hasValue = false;
  while (!entry.done) {
    const { field, wireType } = entry.tag();
    if (field === 1) {
      expectWireType(schema, wire, wireType, wireTypeOf(type.key));
      key = readValue(type.key, entry, ctx);
    } else if (field === 2) {
      expectWireType(schema, wire, wireType, wireTypeOf(type.value));
      value = readValue(type.value, entry, ctx);
      hasValue = true;
    } else {
      entry.skip(wireType);
    }
  }
  // defineProperty, so a key named "__proto__" stays a key and never a prototype.
  Object.defineProperty(map, String(key), {
    value: hasValue ? value : zeroValue(type.value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** One value as JSON (bytes already base64). */
function readValue(type: FieldType, reader: WireReader, ctx: DecodeContext): unknown {
  switch (type.kind) {
    case "scalar": {
      const value = readScalar(reader, type.name);
      return value instanceof Uint8Array ? value.toBase64() : value;
    }
    case "message":
      return decodeMessage(type.ref, reader.message(), ctx);
    case "list": {
      // Only wrapper lists nest (map[string]ExtraValue); they are one message each.
      if (!type.wrapper) throw new ProtobufDecodeError("nested list without a wrapper message");
      const wrapped = decodeMessage(type.wrapper, reader.message(), ctx) as { items?: unknown[] };
      return wrapped.items ?? [];
    }
    case "map":
      throw new ProtobufDecodeError("a map cannot be a map value or list element");
  }
}

function wireTypeOf(type: FieldType): number {
  return type.kind === "scalar" ? scalarWireType(type.name) : WireType.LengthDelimited;
}

function expectWireType(
  schema: TypeSchema,
  wire: WireField,
  actual: number,
  expected: number,
): void {
  if (actual === expected) return;
  const name = wire.name || wire.embedded;
  throw new ProtobufDecodeError(
    `${schema.ref}.${name} (field ${wire.proto.number}): wire type ${actual}, expected ${expected}`,
  );
}

function zeroValue(type: FieldType): unknown {
  switch (type.kind) {
    case "scalar":
      return zeroScalar(type.name);
    case "message":
      return zeroJSON(type.ref);
    default:
      return null;
  }
}

function emitObject(
  schema: TypeSchema,
  values: ReadonlyMap<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const has = values.has(field.json);
    const value = has ? values.get(field.json) : undefined;
    const emitted = has ? presentJSON(field, value) : absentJSON(field);
    if (emitted !== omit) out[field.json] = emitted;
  }
  return out;
}

const omit = Symbol("omit");

function presentJSON(field: FieldSchema, value: unknown): unknown {
  const type = field.type;
  if (type.kind === "scalar") {
    const json = value instanceof Uint8Array ? value.toBase64() : value;
    if (field.pointer && type.name !== "bytes") return json;
    return field.omitempty && isZeroScalar(value) ? omit : json;
  }
  if (type.kind === "list") {
    return field.omitempty && (value as unknown[]).length === 0 ? omit : value;
  }
  if (type.kind === "map") {
    return field.omitempty && Object.keys(value as object).length === 0 ? omit : value;
  }
  // Only Time carries omitzero, and a zero Time decodes to null.
  return field.omitzero && value === null ? omit : value;
}

function absentJSON(field: FieldSchema): unknown {
  const type = field.type;
  const nilable =
    field.pointer ||
    type.kind === "list" ||
    type.kind === "map" ||
    (type.kind === "scalar" && type.name === "bytes");
  if (nilable) return field.omitempty || field.omitzero ? omit : null;
  if (type.kind === "scalar") return field.omitempty ? omit : zeroScalar(type.name);
  if (type.kind !== "message") return omit;
  if (field.omitzero) return omit;
  return zeroJSON(type.ref);
}

/**
 * JSON → protobuf for Kubernetes messages, writing what Go's generated
 * (gogo) marshallers write, so kubectl's bytes round-trip unchanged:
 * - fields in ascending field number;
 * - non-pointer scalars and structs always, zero or not;
 * - pointers, []byte and wrapper lists only when set;
 * - repeated fields unpacked, map entries sorted by key;
 * - an inline embedded struct as one nested message made from the parent's
 *   flattened JSON fields.
 * Bad JSON values (a string where a message belongs) throw TypeError.
 */
import type {
  FieldSchema,
  FieldType,
  TypeSchema,
  WireField,
} from "../../resources/schema/schema.ts";
import { typeSchema } from "../../resources/schema/schema.ts";
import { customFromJSON } from "./custom-types.ts";
import { scalarWireType, writeScalar } from "./scalar-codec.ts";
import type { WireWriter } from "./wire-writer.ts";

const sortedWire = new WeakMap<TypeSchema, readonly WireField[]>();

export function encodeMessage(ref: string, value: unknown, writer: WireWriter): void {
  const schema = typeSchema(ref);
  if (!schema) throw new TypeError(`no schema for ${ref}`);
  const wires = wireInOrder(schema);
  if (schema.custom) {
    const values = customFromJSON(schema.custom, value);
    for (const wire of wires) {
      const key = wire.name;
      if (!values.has(key) || wire.type.kind !== "scalar") continue;
      writer.tag(wire.proto.number, wire.proto.wireType);
      writeScalar(writer, wire.type.name, values.get(key));
    }
    return;
  }
  if (
    value !== undefined &&
    value !== null &&
    (typeof value !== "object" || Array.isArray(value))
  ) {
    throw new TypeError(`${ref}: expected an object, got ${JSON.stringify(value)}`);
  }
  const object = (value ?? {}) as Record<string, unknown>;
  for (const wire of wires) {
    if (wire.embedded) {
      const embedded = wire.embedded;
      writer.message(wire.proto.number, (inner) => encodeMessage(embedded, object, inner));
      continue;
    }
    if (wire.field) writeField(writer, wire, wire.field, object[wire.field.json]);
  }
}

function wireInOrder(schema: TypeSchema): readonly WireField[] {
  let wires = sortedWire.get(schema);
  if (!wires) {
    wires = [...schema.wire].sort((a, b) => a.proto.number - b.proto.number);
    sortedWire.set(schema, wires);
  }
  return wires;
}

function writeField(writer: WireWriter, wire: WireField, field: FieldSchema, value: unknown): void {
  const number = wire.proto.number;
  const type = field.type;
  const isSet = value !== undefined && value !== null;
  switch (type.kind) {
    case "list":
      if (!isSet) return;
      if (!Array.isArray(value)) throw new TypeError(`${field.json}: expected a list`);
      if (type.wrapper) {
        writeValue(writer, number, type, value);
        return;
      }
      for (const elem of value) writeValue(writer, number, type.elem, elem);
      return;
    case "map": {
      if (!isSet) return;
      if (typeof value !== "object" || Array.isArray(value))
        throw new TypeError(`${field.json}: expected a map`);
      const entries = value as Record<string, unknown>;
      for (const key of Object.keys(entries).sort()) {
        writer.message(number, (entry) => {
          writeValue(entry, 1, type.key, key);
          writeValue(entry, 2, type.value, entries[key]);
        });
      }
      return;
    }
    case "scalar":
      if (!isSet && (field.pointer || type.name === "bytes")) return;
      writer.tag(number, wire.proto.wireType);
      writeScalar(writer, type.name, value);
      return;
    case "message":
      if (!isSet && field.pointer) return;
      writeValue(writer, number, type, value);
      return;
  }
}

function writeValue(writer: WireWriter, number: number, type: FieldType, value: unknown): void {
  switch (type.kind) {
    case "scalar":
      // A nil []byte map value is not written; an empty one is.
      if (type.name === "bytes" && (value === null || value === undefined)) return;
      writer.tag(number, scalarWireType(type.name));
      writeScalar(writer, type.name, value);
      return;
    case "message":
      writer.message(number, (inner) => encodeMessage(type.ref, value, inner));
      return;
    case "list":
      if (!type.wrapper) throw new TypeError("a list inside a list needs a wrapper message");
      writer.message(number, (inner) =>
        encodeMessage(type.wrapper as string, { items: value ?? [] }, inner),
      );
      return;
    case "map":
      throw new TypeError("a map cannot be a map value or list element");
  }
}

/**
 * A table-driven protobuf writer for JSON documents: a Layout maps each JSON
 * key of an object to its field number and kind, and `writeMessage` walks the
 * object with it. Keys a layout does not know are refused with their location,
 * never dropped; `x-` keys go to the layout's vendor-extension field as gnostic
 * `NamedAny` entries. Used for gnostic's OpenAPI v2 messages.
 */
import { WireType } from "../protobuf/wire-reader.ts";
import type { WireWriter } from "../protobuf/wire-writer.ts";

export type Json = unknown;
export type JsonObject = { [key: string]: Json };

export type FieldKind =
  | "string"
  | "bool"
  | "double"
  | "int64"
  | "strings"
  | "any"
  | "anys"
  | { message: Layout }
  | { repeated: Layout }
  | { encode: (w: WireWriter, number: number, value: Json, where: string) => void };

export interface Layout {
  name: string;
  fields: Record<string, readonly [number, FieldKind]>;
  /** Field number of `repeated NamedAny vendor_extension`, for `x-` keys. */
  vendor?: number;
}

/** A message layout with no fields yet (layouts may refer to each other, so fields are set after). */
export const layout = (name: string, vendor?: number): Layout =>
  vendor === undefined ? { name, fields: {} } : { name, fields: {}, vendor };

export function writeMessage(
  w: WireWriter,
  message: Layout,
  value: JsonObject,
  where: string,
): void {
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    if (key.startsWith("x-") && message.vendor !== undefined) {
      writeVendor(w, message.vendor, key, field);
      continue;
    }
    const entry = message.fields[key];
    if (!entry)
      throw new Error(`protobuf layout: ${message.name} has no field "${key}" (at ${where})`);
    writeField(w, entry[0], entry[1], field, `${where}.${key}`);
  }
}

export function writeField(
  w: WireWriter,
  number: number,
  kind: FieldKind,
  value: Json,
  where: string,
): void {
  switch (kind) {
    case "string":
      // proto3 leaves default values off the wire.
      if (value !== "") w.tag(number, WireType.LengthDelimited).string(String(value));
      return;
    case "bool":
      if (value) w.tag(number, WireType.Varint).bool(true);
      return;
    case "double":
      if (value !== 0) w.tag(number, WireType.Fixed64).double(Number(value));
      return;
    case "int64":
      if (value !== 0) w.tag(number, WireType.Varint).int64(Number(value));
      return;
    case "strings":
      writeStrings(w, number, asArray(value, where));
      return;
    case "any":
      writeAny(w, number, value);
      return;
    case "anys":
      for (const item of asArray(value, where)) writeAny(w, number, item);
      return;
  }
  if ("message" in kind)
    w.message(number, (m) => writeMessage(m, kind.message, asObject(value, where), where));
  else if ("repeated" in kind) writeEach(w, number, kind.repeated, asArray(value, where), where);
  else kind.encode(w, number, value, where);
}

export function writeStrings(w: WireWriter, number: number, values: readonly Json[]): void {
  for (const value of values) w.tag(number, WireType.LengthDelimited).string(String(value));
}

export function writeEach(
  w: WireWriter,
  number: number,
  message: Layout,
  values: readonly Json[],
  where: string,
): void {
  for (const [i, value] of values.entries()) {
    w.message(number, (m) =>
      writeMessage(m, message, asObject(value, `${where}[${i}]`), `${where}[${i}]`),
    );
  }
}

/** A JSON object as `repeated Named<Message> { string name = 1; Message value = 2; }`. */
export function writeNamed(
  w: WireWriter,
  number: number,
  message: Layout,
  value: Json,
  where: string,
): void {
  for (const [name, item] of Object.entries(asObject(value, where))) {
    w.message(number, (named) => {
      named.tag(1, WireType.LengthDelimited).string(name);
      named.message(2, (m) =>
        writeMessage(m, message, asObject(item, `${where}.${name}`), `${where}.${name}`),
      );
    });
  }
}

export function writeNamedAny(w: WireWriter, number: number, value: Json, where: string): void {
  for (const [name, item] of Object.entries(asObject(value, where)))
    writeVendor(w, number, name, item);
}

/** NamedAny { string name = 1; Any value = 2 }. */
export function writeVendor(w: WireWriter, number: number, name: string, value: Json): void {
  w.message(number, (named) => {
    named.tag(1, WireType.LengthDelimited).string(name);
    writeAny(named, 2, value);
  });
}

/** Any { google.protobuf.Any value = 1; string yaml = 2 }: gnostic keeps the YAML text. */
export function writeAny(w: WireWriter, number: number, value: Json): void {
  w.message(number, (any) => any.tag(2, WireType.LengthDelimited).string(JSON.stringify(value)));
}

export function asObject(value: Json, where: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`protobuf layout: expected an object at ${where}`);
  }
  return value as JsonObject;
}

export function asArray(value: Json, where: string): readonly Json[] {
  if (!Array.isArray(value)) throw new Error(`protobuf layout: expected an array at ${where}`);
  return value;
}

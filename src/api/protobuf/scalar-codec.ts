/**
 * Scalars on the wire, by their schema name (Go type as recorded by the
 * reference: string, bool, int32, int64, bytes, float64 …).
 */
import { ProtobufDecodeError } from "./protobuf-decode-error.ts";
import { type WireReader, WireType } from "./wire-reader.ts";
import type { WireWriter } from "./wire-writer.ts";

export function scalarWireType(name: string): number {
  switch (name) {
    case "string":
    case "bytes":
      return WireType.LengthDelimited;
    case "float64":
    case "double":
    case "fixed64":
      return WireType.Fixed64;
    case "float32":
    case "float":
    case "fixed32":
      return WireType.Fixed32;
    default:
      return WireType.Varint;
  }
}

/** bytes come back as a view into the body; the caller copies or encodes them. */
export function readScalar(reader: WireReader, name: string): unknown {
  switch (name) {
    case "string":
      return reader.string();
    case "bytes":
      return reader.bytes();
    case "bool":
      return reader.bool();
    case "int32":
      return reader.int32();
    case "int64":
    case "int":
      return reader.int64();
    case "uint32":
      return reader.uint32();
    case "uint64":
      return reader.uint64();
    case "float64":
    case "double":
      return reader.double();
    case "float32":
    case "float":
      return reader.float();
    default:
      throw new ProtobufDecodeError(`no protobuf decoding for scalar type ${name}`);
  }
}

export function writeScalar(writer: WireWriter, name: string, value: unknown): void {
  switch (name) {
    case "string":
      writer.string(value === undefined || value === null ? "" : String(value));
      return;
    case "bytes":
      writer.bytes(toBytes(value));
      return;
    case "bool":
      writer.bool(value === true);
      return;
    case "int32":
      writer.int32(toNumber(value));
      return;
    case "int64":
    case "int":
    case "uint32":
    case "uint64":
      writer.int64(typeof value === "bigint" ? value : toNumber(value));
      return;
    case "float64":
    case "double":
      writer.double(toNumber(value));
      return;
    case "float32":
    case "float":
      writer.float(toNumber(value));
      return;
    default:
      throw new TypeError(`no protobuf encoding for scalar type ${name}`);
  }
}

/** Go's zero value of a scalar in JSON. */
export function zeroScalar(name: string): unknown {
  switch (name) {
    case "string":
      return "";
    case "bool":
      return false;
    case "bytes":
    case "any":
      return null;
    default:
      return 0;
  }
}

export function isZeroScalar(value: unknown): boolean {
  return (
    value === "" ||
    value === 0 ||
    value === 0n ||
    value === false ||
    value === null ||
    (value instanceof Uint8Array && value.length === 0)
  );
}

function toNumber(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number") return value;
  throw new TypeError(`expected a number, got ${JSON.stringify(value)}`);
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return Uint8Array.fromBase64(value);
  if (value === undefined || value === null) return new Uint8Array();
  throw new TypeError("expected base64 bytes");
}

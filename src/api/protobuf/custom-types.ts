/**
 * The custom-serialised types: their protobuf message (fields named as in
 * the schema's `wire`) against their JSON form.
 *
 * | custom       | protobuf                       | JSON                         |
 * |--------------|--------------------------------|------------------------------|
 * | Time         | seconds=1, nanos=2; empty=zero | RFC 3339, zero → null        |
 * | MicroTime    | same                           | RFC 3339 with 6 digits       |
 * | Duration     | duration=1 (ns)                | Go duration text             |
 * | Quantity     | string=1                       | the string                   |
 * | IntOrString  | type=1, intVal=2, strVal=3     | number or string             |
 * | RawExtension | raw=1                          | the raw JSON (or a k8s\0 object) |
 * | FieldsV1     | Raw=1                          | the raw JSON                 |
 */
import { formatGoDuration, parseGoDuration } from "./go-duration.ts";
import { ProtobufDecodeError } from "./protobuf-decode-error.ts";
import { formatRfc3339, parseRfc3339 } from "./rfc3339.ts";

/** Go's zero time.Time, 0001-01-01T00:00:00Z, in Unix seconds. */
const goZeroTimeSeconds = -62_135_596_800;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** Decoded wire values of one custom message, keyed by wire field name. */
export type CustomValues = ReadonlyMap<string, unknown>;

/** What the value of a custom type is in JSON when the field is absent (Go's zero value). */
export function customZeroJSON(custom: string): unknown {
  switch (custom) {
    case "Quantity":
      return "0";
    case "IntOrString":
      return 0;
    case "Duration":
      return "0s";
    case "GroupVersion":
      return "";
    default:
      return null;
  }
}

/**
 * Turns one decoded custom message into JSON. `nested` decodes a k8s\0
 * envelope found inside a RawExtension.
 */
export function customToJSON(
  custom: string,
  values: CustomValues,
  nested: (raw: Uint8Array) => unknown,
): unknown {
  switch (custom) {
    case "Time":
    case "MicroTime": {
      // apimachinery writes a zero time as an empty message.
      if (values.size === 0) return null;
      const seconds = (values.get("seconds") as number | undefined) ?? 0;
      const nanos = (values.get("nanos") as number | undefined) ?? 0;
      if (seconds === goZeroTimeSeconds && nanos === 0) return null;
      return formatRfc3339({ seconds, nanos }, custom === "MicroTime");
    }
    case "Duration":
      return formatGoDuration(BigInt((values.get("duration") as number | undefined) ?? 0));
    case "Quantity":
      return (values.get("string") as string | undefined) || "0";
    case "IntOrString":
      return values.get("type") === 1
        ? ((values.get("strVal") as string | undefined) ?? "")
        : ((values.get("intVal") as number | undefined) ?? 0);
    case "RawExtension":
    case "FieldsV1": {
      const raw = (values.get("raw") ?? values.get("Raw")) as Uint8Array | undefined;
      if (raw === undefined || raw.length === 0) return null;
      if (isEnvelope(raw)) return nested(raw);
      return parseRawJSON(raw, custom);
    }
    case "GroupVersion": {
      const group = (values.get("group") as string | undefined) ?? "";
      const version = (values.get("version") as string | undefined) ?? "";
      return group ? `${group}/${version}` : version;
    }
    default:
      throw new ProtobufDecodeError(`no protobuf decoding for custom type ${custom}`);
  }
}

/** The wire values for a custom type's JSON value; an empty map writes an empty message. */
export function customFromJSON(custom: string, value: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  switch (custom) {
    case "Time":
    case "MicroTime": {
      if (value === null || value === undefined) return out;
      const ts = typeof value === "string" ? parseRfc3339(value) : undefined;
      if (!ts) throw new TypeError(`${custom}: not an RFC 3339 time: ${JSON.stringify(value)}`);
      if (ts.seconds === goZeroTimeSeconds && ts.nanos === 0) return out;
      out.set("seconds", ts.seconds).set("nanos", ts.nanos);
      return out;
    }
    case "Duration": {
      const ns = typeof value === "string" ? parseGoDuration(value) : undefined;
      if (value !== undefined && ns === undefined) {
        throw new TypeError(`Duration: not a duration: ${JSON.stringify(value)}`);
      }
      return out.set("duration", ns ?? 0n);
    }
    case "Quantity":
      return out.set("string", value === null || value === undefined ? "0" : String(value));
    case "IntOrString":
      if (typeof value === "string")
        return out.set("type", 1).set("intVal", 0).set("strVal", value);
      return out
        .set("type", 0)
        .set("intVal", (value as number | undefined) ?? 0)
        .set("strVal", "");
    case "RawExtension":
      if (value === null || value === undefined) return out;
      return out.set("raw", utf8Encoder.encode(JSON.stringify(value)));
    case "FieldsV1":
      if (value === null || value === undefined) return out;
      return out.set("Raw", utf8Encoder.encode(JSON.stringify(value)));
    case "GroupVersion": {
      const text = typeof value === "string" ? value : "";
      const slash = text.indexOf("/");
      return out
        .set("group", slash < 0 ? "" : text.slice(0, slash))
        .set("version", slash < 0 ? text : text.slice(slash + 1));
    }
    default:
      throw new TypeError(`no protobuf encoding for custom type ${custom}`);
  }
}

function isEnvelope(raw: Uint8Array): boolean {
  return raw.length >= 4 && raw[0] === 0x6b && raw[1] === 0x38 && raw[2] === 0x73 && raw[3] === 0;
}

function parseRawJSON(raw: Uint8Array, custom: string): unknown {
  try {
    return JSON.parse(utf8.decode(raw));
  } catch {
    throw new ProtobufDecodeError(`${custom} does not hold JSON`);
  }
}

/**
 * The Kubernetes protobuf envelope (`application/vnd.kubernetes.protobuf`):
 * the magic bytes `k8s\0`, then a runtime.Unknown message whose typeMeta
 * names the object and whose raw bytes are the object's own message. The
 * object's message never carries apiVersion/kind itself.
 */
import { typeSchema } from "../../resources/schema/schema.ts";
import { decodeMessage } from "./decode-message.ts";
import { encodeMessage } from "./encode-message.ts";
import { ProtobufDecodeError } from "./protobuf-decode-error.ts";
import { WireReader, WireType } from "./wire-reader.ts";
import { WireWriter } from "./wire-writer.ts";

export const KUBERNETES_PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
export const KUBERNETES_PROTOBUF_MAGIC = new Uint8Array([0x6b, 0x38, 0x73, 0x00]);

/** Maps an envelope's apiVersion and kind to a schema ref such as "core/v1.Pod". */
export type ResolveRef = (apiVersion: string, kind: string) => string | undefined;

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** The JSON object kubectl would have sent, apiVersion and kind included. */
  object: Record<string, unknown>;
}

// Field numbers of runtime.Unknown and runtime.TypeMeta, read from the schema once.
const envelope = (() => {
  const unknown = typeSchema("runtime.Unknown");
  const typeMeta = typeSchema("runtime.TypeMeta");
  const number = (found: number | undefined, what: string) => {
    if (!found) throw new Error(`schema lacks ${what}`);
    return found;
  };
  return {
    typeMeta: number(
      unknown?.embeds.find((e) => e.ref === "runtime.TypeMeta")?.number,
      "Unknown.typeMeta",
    ),
    raw: number(unknown?.wire.find((w) => w.name === "raw")?.proto.number, "Unknown.raw"),
    contentEncoding: number(
      unknown?.field("ContentEncoding")?.proto?.number,
      "Unknown.contentEncoding",
    ),
    contentType: number(unknown?.field("ContentType")?.proto?.number, "Unknown.contentType"),
    apiVersion: number(typeMeta?.field("apiVersion")?.proto?.number, "TypeMeta.apiVersion"),
    kind: number(typeMeta?.field("kind")?.proto?.number, "TypeMeta.kind"),
  };
})();

/**
 * How deep envelopes may nest inside RawExtensions; each level costs a few
 * bytes, so without a bound a crafted body could exhaust the stack.
 */
const maxNestedEnvelopes = 16;

/** Decodes a protobuf request body; throws ProtobufDecodeError when it cannot. */
export function decodeKubernetesProtobuf(body: Uint8Array, resolveRef: ResolveRef): DecodedObject {
  return decodeEnvelope(body, resolveRef, 0);
}

function decodeEnvelope(body: Uint8Array, resolveRef: ResolveRef, depth: number): DecodedObject {
  if (depth > maxNestedEnvelopes) {
    throw new ProtobufDecodeError(`objects nested deeper than ${maxNestedEnvelopes} levels`);
  }
  if (body.length < 4 || !KUBERNETES_PROTOBUF_MAGIC.every((b, i) => body[i] === b)) {
    throw new ProtobufDecodeError("body does not start with the Kubernetes protobuf magic k8s\\0");
  }
  const unknown = readUnknown(new WireReader(body, 4));
  const { apiVersion, kind } = unknown;
  if (!kind) throw new ProtobufDecodeError("protobuf envelope names no kind");
  if (!unknown.raw) throw new ProtobufDecodeError("protobuf envelope carries no object");
  if (unknown.contentEncoding) {
    throw new ProtobufDecodeError(
      `unsupported protobuf content encoding ${unknown.contentEncoding}`,
    );
  }
  if (unknown.contentType && unknown.contentType !== KUBERNETES_PROTOBUF_CONTENT_TYPE) {
    throw new ProtobufDecodeError(`unsupported protobuf content type ${unknown.contentType}`);
  }
  const ref = resolveRef(apiVersion, kind);
  if (!ref || !typeSchema(ref)) {
    throw new ProtobufDecodeError(`unknown kind ${kind} in ${apiVersion || "an empty apiVersion"}`);
  }
  const decoded = decodeMessage(ref, new WireReader(unknown.raw), {
    nested: (raw) => decodeEnvelope(raw, resolveRef, depth + 1).object,
  }) as Record<string, unknown>;
  // TypeMeta comes first in Go's JSON; the object's own message does not carry it.
  const object = { kind, apiVersion, ...decoded };
  object.kind = kind;
  object.apiVersion = apiVersion;
  return { apiVersion, kind, object };
}

/** Encodes a JSON object as a protobuf body; `apiVersion` and `kind` are taken from the object. */
export function encodeKubernetesProtobuf(object: Record<string, unknown>, ref: string): Uint8Array {
  const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
  const kind = typeof object.kind === "string" ? object.kind : "";
  const raw = new WireWriter();
  encodeMessage(ref, object, raw);
  const out = new WireWriter();
  out.message(envelope.typeMeta, (tm) => {
    tm.tag(envelope.apiVersion, WireType.LengthDelimited).string(apiVersion);
    tm.tag(envelope.kind, WireType.LengthDelimited).string(kind);
  });
  out.tag(envelope.raw, WireType.LengthDelimited).bytes(raw.finish());
  out.tag(envelope.contentEncoding, WireType.LengthDelimited).string("");
  out.tag(envelope.contentType, WireType.LengthDelimited).string("");
  const body = out.finish();
  const framed = new Uint8Array(KUBERNETES_PROTOBUF_MAGIC.length + body.length);
  framed.set(KUBERNETES_PROTOBUF_MAGIC);
  framed.set(body, KUBERNETES_PROTOBUF_MAGIC.length);
  return framed;
}

interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array | undefined;
  contentEncoding: string;
  contentType: string;
}

function readUnknown(reader: WireReader): Unknown {
  const out: Unknown = {
    apiVersion: "",
    kind: "",
    raw: undefined,
    contentEncoding: "",
    contentType: "",
  };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === envelope.typeMeta && wireType === WireType.LengthDelimited) {
      const tm = reader.message();
      while (!tm.done) {
        const t = tm.tag();
        if (t.field === envelope.apiVersion && t.wireType === WireType.LengthDelimited)
          out.apiVersion = tm.string();
        else if (t.field === envelope.kind && t.wireType === WireType.LengthDelimited)
          out.kind = tm.string();
        else tm.skip(t.wireType);
      }
    } else if (field === envelope.raw && wireType === WireType.LengthDelimited) {
      out.raw = reader.bytes();
    } else if (field === envelope.contentEncoding && wireType === WireType.LengthDelimited) {
      out.contentEncoding = reader.string();
    } else if (field === envelope.contentType && wireType === WireType.LengthDelimited) {
      out.contentType = reader.string();
    } else if (field <= envelope.contentType) {
      throw new ProtobufDecodeError(`runtime.Unknown field ${field} has wire type ${wireType}`);
    } else {
      reader.skip(wireType);
    }
  }
  return out;
}

import { describe, expect, test } from "bun:test";
import {
  type DecodeContext,
  decodeMessage,
  zeroJSON,
} from "../../../src/api/protobuf/decode-message.ts";
import { encodeKubernetesProtobuf } from "../../../src/api/protobuf/kubernetes-protobuf.ts";
import { ProtobufDecodeError } from "../../../src/api/protobuf/protobuf-decode-error.ts";
import { WireReader, WireType } from "../../../src/api/protobuf/wire-reader.ts";
import { WireWriter } from "../../../src/api/protobuf/wire-writer.ts";

const ctx: DecodeContext = {
  nested: () => {
    throw new Error("no nested envelopes here");
  },
};

function decode(ref: string, fill: (w: WireWriter) => void, context = ctx): unknown {
  const w = new WireWriter();
  fill(w);
  return decodeMessage(ref, new WireReader(w.finish()), context);
}

const str = (w: WireWriter, field: number, value: string) =>
  w.tag(field, WireType.LengthDelimited).string(value);

describe("decodeMessage", () => {
  test("applies Go's JSON rules to zero, absent and pointer fields", () => {
    // Container: name (1, not omitempty), image (2, omitempty), stdin (16, bool omitempty).
    const container = decode("core/v1.Container", (w) => {
      str(w, 1, "");
      str(w, 2, "");
      w.tag(16, WireType.Varint).bool(false);
    });
    expect(container).toEqual({ name: "", resources: {} });
    // DeploymentSpec.replicas is a pointer: an explicit 0 stays.
    expect(decode("apps/v1.DeploymentSpec", (w) => w.tag(1, WireType.Varint).int32(0))).toEqual({
      replicas: 0,
      selector: null,
      template: { metadata: {}, spec: { containers: null } },
      strategy: {},
    });
  });

  test("gives a struct's zero JSON", () => {
    expect(zeroJSON("core/v1.ServiceStatus")).toEqual({ loadBalancer: {} });
    expect(zeroJSON("meta/v1.Time")).toBeNull();
    expect(zeroJSON("resource.Quantity")).toBe("0");
    expect(zeroJSON("intstr.IntOrString")).toBe(0);
    expect(zeroJSON("meta/v1.Duration")).toBe("0s");
  });

  test("skips unknown fields of every wire type", () => {
    const object = decode("core/v1.ObjectReference", (w) => {
      w.tag(90, WireType.Varint).uint32(1);
      str(w, 2, "ns");
      w.tag(91, WireType.Fixed64).double(1);
      w.tag(92, WireType.LengthDelimited).bytes(new Uint8Array(3));
      w.tag(93, WireType.Fixed32).float(1);
      str(w, 3, "name");
    });
    expect(object).toEqual({ namespace: "ns", name: "name" });
  });

  test("accepts repeated scalars both unpacked and packed", () => {
    const unpacked = decode("core/v1.PodSecurityContext", (w) => {
      w.tag(4, WireType.Varint).int64(1000);
      w.tag(4, WireType.Varint).int64(2000);
    }) as Record<string, unknown>;
    const packed = decode("core/v1.PodSecurityContext", (w) => {
      const inner = new WireWriter().int64(1000).int64(2000).finish();
      w.tag(4, WireType.LengthDelimited).bytes(inner);
    }) as Record<string, unknown>;
    expect(unpacked.supplementalGroups).toEqual([1000, 2000]);
    expect(packed.supplementalGroups).toEqual([1000, 2000]);
  });

  test("rejects a field whose wire type contradicts the schema", () => {
    expect(() =>
      decode("core/v1.ObjectReference", (w) => w.tag(2, WireType.Varint).uint32(1)),
    ).toThrow(ProtobufDecodeError);
    expect(() =>
      decode("core/v1.ContainerPort", (w) => w.tag(3, WireType.Fixed32).float(1)),
    ).toThrow(/core\/v1.ContainerPort.containerPort \(field 3\): wire type 5, expected 0/);
  });

  test("flattens inline embedded messages into the parent", () => {
    // Volume: name (1), VolumeSource (2) holding emptyDir (2) with medium (1).
    const volume = decode("core/v1.Volume", (w) => {
      str(w, 1, "scratch");
      w.message(2, (source) => source.message(2, (emptyDir) => str(emptyDir, 1, "Memory")));
    });
    expect(volume).toEqual({ name: "scratch", emptyDir: { medium: "Memory" } });
  });

  test("fills in a map entry without key or value with zero values", () => {
    const selector = decode("meta/v1.LabelSelector", (w) => {
      w.message(1, (entry) => str(entry, 1, "app"));
      w.message(1, () => {});
    });
    expect(selector).toEqual({ matchLabels: { app: "", "": "" } });
  });

  test("keeps a map key named __proto__ as a plain key", () => {
    const selector = decode("meta/v1.LabelSelector", (w) => {
      w.message(1, (entry) => str(str(entry, 1, "__proto__"), 2, "x"));
    }) as { matchLabels: Record<string, unknown> };
    expect(Object.getPrototypeOf(selector.matchLabels)).toBe(Object.prototype);
    expect(Object.keys(selector.matchLabels)).toEqual(["__proto__"]);
    expect(JSON.stringify(selector)).toBe('{"matchLabels":{"__proto__":"x"}}');
  });

  test("decodes custom types", () => {
    expect(decode("meta/v1.Time", (w) => w.tag(1, 0).int64(1_704_164_645).tag(2, 0).int32(0))).toBe(
      "2024-01-02T03:04:05Z",
    );
    expect(decode("meta/v1.Time", () => {})).toBeNull();
    expect(decode("meta/v1.MicroTime", (w) => w.tag(1, 0).int64(0).tag(2, 0).int32(5_000))).toBe(
      "1970-01-01T00:00:00.000005Z",
    );
    expect(decode("meta/v1.Duration", (w) => w.tag(1, 0).int64(90_000_000_000))).toBe("1m30s");
    expect(decode("resource.Quantity", (w) => str(w, 1, "1500m"))).toBe("1500m");
    expect(
      decode("intstr.IntOrString", (w) =>
        w.tag(1, 0).int64(0).tag(2, 0).int32(8080).tag(3, 2).string(""),
      ),
    ).toBe(8080);
    expect(
      decode("intstr.IntOrString", (w) =>
        w.tag(1, 0).int64(1).tag(2, 0).int32(0).tag(3, 2).string("25%"),
      ),
    ).toBe("25%");
    expect(decode("runtime.RawExtension", (w) => str(w, 1, '{"a":[1,2]}'))).toEqual({ a: [1, 2] });
    expect(decode("meta/v1.FieldsV1", (w) => str(w, 1, '{"f:metadata":{}}'))).toEqual({
      "f:metadata": {},
    });
  });

  test("rejects a RawExtension that holds neither JSON nor an envelope", () => {
    expect(() => decode("runtime.RawExtension", (w) => str(w, 1, "not json"))).toThrow(
      ProtobufDecodeError,
    );
  });

  test("decodes a protobuf object nested in a RawExtension through the context", () => {
    const inner = encodeKubernetesProtobuf(
      { apiVersion: "v1", kind: "ConfigMap", data: { a: "b" } },
      "core/v1.ConfigMap",
    );
    const seen: Uint8Array[] = [];
    const value = decode("runtime.RawExtension", (w) => w.tag(1, 2).bytes(inner), {
      nested: (raw) => {
        seen.push(raw);
        return { decoded: true };
      },
    });
    expect(value).toEqual({ decoded: true });
    expect(seen[0]).toEqual(inner);
  });

  test("decodes list wrappers such as meta/v1.Verbs", () => {
    const resource = decode("meta/v1.APIResource", (w) => {
      str(w, 1, "pods");
      w.message(4, (verbs) => {
        str(verbs, 1, "get");
        str(verbs, 1, "list");
      });
    }) as Record<string, unknown>;
    expect(resource.verbs).toEqual(["get", "list"]);
  });
});

import { describe, expect, test } from "bun:test";
import {
  fieldAt,
  parseTypeCode,
  typeRefs,
  typeSchema,
} from "../../../src/resources/schema/schema.ts";

describe("typeSchema", () => {
  test("knows every package of the reference", () => {
    const packages = new Set(typeRefs().map((ref) => ref.slice(0, ref.lastIndexOf("."))));
    for (const pkg of [
      "core/v1",
      "apps/v1",
      "batch/v1",
      "coordination/v1",
      "discovery/v1",
      "events/v1",
      "networking/v1",
      "rbac/v1",
      "certificates/v1",
      "scheduling/v1",
      "policy/v1",
      "storage/v1",
      "autoscaling/v1",
      "autoscaling/v2",
      "authentication/v1",
      "authorization/v1",
      "admissionregistration/v1",
      "apidiscovery/v2",
      "meta/v1",
      "runtime",
      "intstr",
      "resource",
    ]) {
      expect(packages.has(pkg)).toBe(true);
    }
  });

  test("returns undefined for an unknown ref", () => {
    expect(typeSchema("core/v1.Nope")).toBeUndefined();
    expect(typeSchema("")).toBeUndefined();
  });

  test("flattens TypeMeta into every object, in Go's JSON order", () => {
    const pod = typeSchema("core/v1.Pod");
    expect(pod?.fields.map((f) => f.json)).toEqual([
      "kind",
      "apiVersion",
      "metadata",
      "spec",
      "status",
    ]);
    expect(pod?.field("kind")?.inlinedFrom).toBe("meta/v1.TypeMeta");
    // TypeMeta is not on the protobuf wire of an object: the envelope carries it.
    expect(pod?.embeds).toEqual([{ ref: "meta/v1.TypeMeta" }]);
    expect(pod?.wire.map((w) => w.proto.number)).toEqual([1, 2, 3]);
  });

  test("keeps an inline embedded struct as one nested message on the wire", () => {
    const volume = typeSchema("core/v1.Volume");
    expect(volume?.field("configMap")?.inlinedFrom).toBe("core/v1.VolumeSource");
    expect(volume?.field("configMap")?.proto?.number).toBe(19);
    expect(volume?.wireField(2)?.embedded).toBe("core/v1.VolumeSource");
    expect(volume?.embeds).toEqual([{ ref: "core/v1.VolumeSource", number: 2 }]);
  });

  test("flattens nested inline structs", () => {
    const rule = typeSchema("admissionregistration/v1.NamedRuleWithOperations");
    expect(rule?.field("operations")?.inlinedFrom).toBe(
      "admissionregistration/v1.RuleWithOperations",
    );
    expect(rule?.field("apiGroups")?.inlinedFrom).toBe("admissionregistration/v1.Rule");
  });

  test("marks the custom-serialised types", () => {
    expect(typeSchema("meta/v1.Time")?.custom).toBe("Time");
    expect(typeSchema("meta/v1.MicroTime")?.custom).toBe("MicroTime");
    expect(typeSchema("meta/v1.Duration")?.custom).toBe("Duration");
    expect(typeSchema("meta/v1.FieldsV1")?.custom).toBe("FieldsV1");
    expect(typeSchema("resource.Quantity")?.custom).toBe("Quantity");
    expect(typeSchema("intstr.IntOrString")?.custom).toBe("IntOrString");
    expect(typeSchema("runtime.RawExtension")?.custom).toBe("RawExtension");
    expect(typeSchema("core/v1.Pod")?.custom).toBeUndefined();
  });

  test("gives custom types their hand-written protobuf fields", () => {
    const intOrString = typeSchema("intstr.IntOrString");
    expect(intOrString?.wire.map((w) => [w.name, w.proto.number, w.proto.wireType])).toEqual([
      ["type", 1, 0],
      ["intVal", 2, 0],
      ["strVal", 3, 2],
    ]);
    expect(typeSchema("meta/v1.Time")?.wireField(2)?.proto.protoType).toBe("int32");
    // In JSON they are strings or numbers, never objects with fields.
    expect(typeSchema("meta/v1.Time")?.fields).toEqual([]);
    expect(fieldAt("core/v1.Pod", ["metadata", "creationTimestamp", "seconds"])).toBeUndefined();
  });

  test("names the protobuf message", () => {
    expect(typeSchema("core/v1.Pod")?.protoMessage).toBe("k8s.io.api.core.v1.Pod");
    expect(typeSchema("meta/v1.ObjectMeta")?.protoMessage).toBe(
      "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    );
  });

  test("keeps wire-only fields out of JSON", () => {
    const unknown = typeSchema("runtime.Unknown");
    expect(unknown?.field("raw")).toBeUndefined();
    expect(unknown?.wireField(2)?.name).toBe("raw");
  });

  test("records list wrappers such as meta/v1.Verbs", () => {
    const verbs = fieldAt("meta/v1.APIResource", ["verbs"]);
    expect(verbs?.type).toEqual({
      kind: "list",
      elem: { kind: "scalar", name: "string" },
      wrapper: "meta/v1.Verbs",
    });
    expect(typeSchema("meta/v1.Verbs")?.wireField(1)?.proto.repeated).toBe(true);
  });

  test("records atomic struct types", () => {
    expect(typeSchema("meta/v1.LabelSelector")?.structType).toBe("atomic");
    expect(typeSchema("core/v1.PodSpec")?.structType).toBeUndefined();
  });
});

describe("fieldAt", () => {
  test("finds Pod containers with their strategic-merge metadata", () => {
    const containers = fieldAt("core/v1.Pod", ["spec", "containers"]);
    expect(containers?.patchMergeKey).toBe("name");
    expect(containers?.patchStrategy).toEqual(["merge"]);
    expect(containers?.listType).toBe("map");
    expect(containers?.listMapKeys).toEqual(["name"]);
    expect(containers?.type).toEqual({
      kind: "list",
      elem: { kind: "message", ref: "core/v1.Container" },
    });
    expect(containers?.proto).toMatchObject({ number: 2, wireType: 2, repeated: true });
  });

  test("finds PodSpec volumes with merge and retainKeys", () => {
    const volumes = fieldAt("core/v1.PodSpec", ["volumes"]);
    expect(volumes?.patchStrategy).toEqual(["merge", "retainKeys"]);
    expect(volumes?.patchMergeKey).toBe("name");
  });

  test("walks through lists: container ports and env", () => {
    const ports = fieldAt("core/v1.Pod", ["spec", "containers", "ports"]);
    expect(ports?.patchMergeKey).toBe("containerPort");
    expect(ports?.listMapKeys).toEqual(["containerPort", "protocol"]);
    expect(fieldAt("core/v1.Pod", ["spec", "containers", "env"])?.patchMergeKey).toBe("name");
    expect(fieldAt("core/v1.Pod", ["spec", "containers", "0", "env"])?.patchMergeKey).toBe("name");
    expect(fieldAt("core/v1.Pod", ["spec", "containers", "ports", "protocol"])?.default).toBe(
      '"TCP"',
    );
  });

  test("reaches ObjectMeta from metadata", () => {
    expect(fieldAt("core/v1.Pod", ["metadata", "labels"])?.type.kind).toBe("map");
    expect(fieldAt("core/v1.Pod", ["metadata", "ownerReferences"])?.patchMergeKey).toBe("uid");
    expect(fieldAt("core/v1.Pod", ["metadata", "creationTimestamp"])?.type).toEqual({
      kind: "message",
      ref: "meta/v1.Time",
    });
    expect(fieldAt("core/v1.Pod", ["metadata", "creationTimestamp"])?.omitzero).toBe(true);
  });

  test("walks through map values", () => {
    const limits = fieldAt("core/v1.Container", ["resources", "limits"]);
    expect(limits?.type).toEqual({
      kind: "map",
      key: { kind: "scalar", name: "string" },
      value: { kind: "message", ref: "resource.Quantity" },
    });
    expect(fieldAt("core/v1.Container", ["resources", "limits", "cpu"])).toBe(limits);
    expect(fieldAt("meta/v1.ObjectMeta", ["labels", "app", "deeper"])).toBeUndefined();
  });

  test("gives enum values of string enums", () => {
    expect(fieldAt("core/v1.Service", ["spec", "type"])?.enum).toContain("NodePort");
    expect(fieldAt("core/v1.PersistentVolumeClaim", ["spec", "accessModes"])?.enum).toContain(
      "ReadWriteOnce",
    );
    expect(fieldAt("core/v1.Container", ["name"])?.enum).toBeUndefined();
  });

  test("tells pointers and omitempty apart", () => {
    const replicas = fieldAt("apps/v1.Deployment", ["spec", "replicas"]);
    expect(replicas?.pointer).toBe(true);
    expect(replicas?.omitempty).toBe(true);
    expect(fieldAt("core/v1.Container", ["name"])?.omitempty).toBe(false);
    expect(fieldAt("core/v1.FileKeySelector", ["key"])?.required).toBe(true);
    expect(fieldAt("core/v1.Container", ["image"])?.required).toBe(false);
  });

  test("returns undefined for unknown fields and scalars", () => {
    expect(fieldAt("core/v1.Pod", ["spec", "nope"])).toBeUndefined();
    expect(fieldAt("core/v1.Pod", ["metadata", "name", "more"])).toBeUndefined();
    expect(fieldAt("core/v1.Nope", ["spec"])).toBeUndefined();
  });
});

describe("parseTypeCode", () => {
  test("parses maps of wrapped lists", () => {
    expect(parseTypeCode("map[string][authentication/v1.ExtraValue]string")).toEqual({
      kind: "map",
      key: { kind: "scalar", name: "string" },
      value: {
        kind: "list",
        elem: { kind: "scalar", name: "string" },
        wrapper: "authentication/v1.ExtraValue",
      },
    });
  });
});

import { describe, expect, test } from "bun:test";
import { buildOpenApiV2, type SwaggerDocument } from "../../../src/api/openapi/openapi-v2.ts";
import {
  encodeOpenApiV2Protobuf,
  openApiV2ProtobufContentType,
  openApiV2ProtobufMediaTypes,
} from "../../../src/api/openapi/openapi-v2-protobuf.ts";
import { WireReader, WireType } from "../../../src/api/protobuf/wire-reader.ts";
import { fixtureKinds } from "../discovery/fixture-kinds.ts";

/** A decoded message: each field number with its raw values (bytes or varints). */
type Fields = Map<number, (Uint8Array | number)[]>;

function decode(bytes: Uint8Array): Fields {
  const fields: Fields = new Map();
  const reader = new WireReader(bytes);
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    const value = wireType === WireType.LengthDelimited ? reader.bytes() : reader.uint32();
    if (wireType !== WireType.LengthDelimited && wireType !== WireType.Varint) {
      throw new Error(`unexpected wire type ${wireType}`);
    }
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const text = (value: Uint8Array | number | undefined) =>
  new TextDecoder().decode(value as Uint8Array);
const one = (message: Fields, field: number): Fields =>
  decode(message.get(field)?.[0] as Uint8Array);
const strings = (message: Fields, field: number) => (message.get(field) ?? []).map(text);

/** A repeated `Named* { name = 1; value = 2 }` field as a map of name to decoded value. */
function named(message: Fields, field: number): Map<string, Fields> {
  return new Map(
    (message.get(field) ?? []).map((entry) => {
      const pair = decode(entry as Uint8Array);
      return [text(pair.get(1)?.[0]), one(pair, 2)];
    }),
  );
}

/** Vendor extensions (NamedAny { name = 1; Any { yaml = 2 } = 2 }) parsed back from their YAML (JSON) text. */
function extensions(message: Fields, field: number): Record<string, unknown> {
  return Object.fromEntries(
    [...named(message, field)].map(([name, any]) => [name, JSON.parse(text(any.get(2)?.[0]))]),
  );
}

const doc = buildOpenApiV2(fixtureKinds);
const root = decode(encodeOpenApiV2Protobuf(doc));
// Document: swagger = 1, info = 2, paths = 8, definitions = 9.
const definitions = named(one(root, 9), 1);
// Schema: properties = 25 (Properties { repeated NamedSchema = 1 }), vendor extensions = 31.
const properties = (name: string) => named(one(definitions.get(name) as Fields, 25), 1);

/** The query parameters of an Operation (parameters = 8), by name. */
function queryParameterNames(operation: Fields): string[] {
  // ParametersItem.parameter = 1 → Parameter.non_body_parameter = 2 → query = 3, whose name = 4.
  return (operation.get(8) ?? []).flatMap((entry) => {
    const parameter = one(decode(entry as Uint8Array), 1);
    if (!parameter.has(2)) return [];
    return strings(one(one(parameter, 2), 3), 4);
  });
}

describe("encodeOpenApiV2Protobuf", () => {
  test("writes the gnostic Document with its version, info and every definition", () => {
    expect(strings(root, 1)).toEqual(["2.0"]);
    expect(strings(one(root, 2), 1)).toEqual(["Kubernetes"]);
    expect([...definitions.keys()]).toEqual(Object.keys(doc.definitions));
  });

  test("keeps the kind and strategic-merge extensions where kube-openapi reads them", () => {
    const pod = definitions.get("io.k8s.api.core.v1.Pod") as Fields;
    expect(extensions(pod, 31)).toEqual({
      "x-kubernetes-group-version-kind": [{ group: "", version: "v1", kind: "Pod" }],
    });
    // Schema.type = 22 (TypeItem { repeated string value = 1 }).
    expect(strings(one(pod, 22), 1)).toEqual(["object"]);
    const containers = properties("io.k8s.api.core.v1.PodSpec").get("containers") as Fields;
    expect(extensions(containers, 31)).toEqual({
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge",
    });
    // Schema.items = 23 (ItemsItem { repeated Schema schema = 1 }), whose $ref = 1.
    expect(strings(one(one(containers, 23), 1), 1)).toEqual([
      "#/definitions/io.k8s.api.core.v1.Container",
    ]);
    expect(strings(definitions.get("io.k8s.api.core.v1.PodSpec") as Fields, 19)).toEqual([
      "containers",
    ]);
  });

  test("writes enums and additional properties", () => {
    const policy = properties("io.k8s.api.core.v1.Container").get("imagePullPolicy") as Fields;
    // Schema.enum = 20, each an Any whose yaml = 2.
    expect(
      (policy.get(20) ?? []).map((any) => JSON.parse(text(decode(any as Uint8Array).get(2)?.[0]))),
    ).toEqual(["Always", "Never", "IfNotPresent"]);
    const limits = properties("io.k8s.api.core.v1.ResourceRequirements").get("limits") as Fields;
    // additionalProperties = 21: AdditionalPropertiesItem { Schema schema = 1 }.
    expect(strings(one(one(limits, 21), 1), 1)).toEqual([
      "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity",
    ]);
  });

  test("writes operations with inline query parameters, as kubectl's v2 fieldValidation check needs", () => {
    // Paths = 8: { repeated NamedPathItem path = 2 }; PathItem.patch = 8.
    const paths = named(one(root, 8), 2);
    const item = paths.get("/apis/apps/v1/namespaces/{namespace}/deployments/{name}") as Fields;
    const patch = one(item, 8);
    expect(strings(patch, 5)).toEqual(["patchAppsV1NamespacedDeployment"]);
    expect(extensions(patch, 13)["x-kubernetes-group-version-kind"]).toEqual({
      group: "apps",
      version: "v1",
      kind: "Deployment",
    });
    expect(queryParameterNames(patch)).toEqual([
      "dryRun",
      "fieldManager",
      "fieldValidation",
      "force",
    ]);
  });

  test("leaves fieldValidation off the Namespace patch, so kubectl's v2 check skips the CRD list", () => {
    const paths = named(one(root, 8), 2);
    const patch = one(paths.get("/api/v1/namespaces/{name}") as Fields, 8);
    expect(extensions(patch, 13)["x-kubernetes-group-version-kind"]).toEqual({
      group: "",
      version: "v1",
      kind: "Namespace",
    });
    expect(queryParameterNames(patch)).toEqual(["dryRun", "fieldManager", "force"]);
  });

  test("refuses a key it has no field for instead of dropping it", () => {
    const bad = { ...doc, basePaths: "/" } as unknown as SwaggerDocument;
    expect(() => encodeOpenApiV2Protobuf(bad)).toThrow(/Document has no field "basePaths"/);
  });

  test("answers with a Content-Type Go's media type parser accepts", () => {
    expect(openApiV2ProtobufMediaTypes[0]).toBe(
      "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    );
    // `@` is a tspecial (RFC 2045): kubectl fails on a Content-Type containing it.
    expect(openApiV2ProtobufContentType).toMatch(/^application\/[A-Za-z0-9.+-]+$/);
  });

  test("encodes a document once", () => {
    expect(encodeOpenApiV2Protobuf(doc)).toBe(encodeOpenApiV2Protobuf(doc));
  });
});

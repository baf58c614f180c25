import { describe, expect, test } from "bun:test";
import { buildOpenApiV3, openApiV3Paths } from "../../../src/api/openapi/openapi-v3.ts";
import { fixtureKinds } from "../discovery/fixture-kinds.ts";

// biome-ignore lint/suspicious/noExplicitAny: the assertions walk untyped JSON documents by key.
type Schema = Record<string, any>;
const apps = buildOpenApiV3(fixtureKinds, "apis/apps/v1") as Schema;
const core = buildOpenApiV3(fixtureKinds, "api/v1") as Schema;
const schema = (doc: Schema, name: string): Schema => doc.components.schemas[name];
const property = (doc: Schema, name: string, field: string): Schema =>
  schema(doc, name).properties[field];

function refs(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return [];
  const holder = value as Schema;
  return [
    ...(typeof holder.$ref === "string" ? [holder.$ref] : []),
    ...Object.values(holder).flatMap(refs),
  ];
}

describe("buildOpenApiV3", () => {
  test("serves one document per group version and discovery root", () => {
    expect(openApiV3Paths(fixtureKinds)).toEqual([
      "api",
      "api/v1",
      "apis/apps",
      "apis/apps/v1",
      "apis/autoscaling",
      "apis/autoscaling/v2",
      "apis/autoscaling/v1",
      "apis/coordination.k8s.io",
      "apis/coordination.k8s.io/v1",
      "apis",
    ]);
    expect(apps.openapi).toBe("3.0.0");
    expect(buildOpenApiV3(fixtureKinds, "apis/batch/v1")).toBeUndefined();
    expect(buildOpenApiV3(fixtureKinds, "apis/apps/v1") as Schema).toBe(apps);
  });

  test("holds the group version's kinds with their GVK and only the schemas its paths reach", () => {
    expect(
      schema(apps, "io.k8s.api.apps.v1.Deployment")["x-kubernetes-group-version-kind"],
    ).toEqual([{ group: "apps", version: "v1", kind: "Deployment" }]);
    expect(schema(apps, "io.k8s.api.core.v1.PodSpec")).toBeDefined();
    expect(schema(apps, "io.k8s.api.core.v1.Pod")).toBeUndefined();
    expect(schema(apps, "io.k8s.api.core.v1.Node")).toBeUndefined();
    expect(schema(core, "io.k8s.api.apps.v1.Deployment")).toBeUndefined();
    for (const doc of [apps, core]) {
      for (const ref of refs(doc)) {
        expect({
          ref,
          known: ref.replace("#/components/schemas/", "") in doc.components.schemas,
        }).toEqual({
          ref,
          known: true,
        });
      }
    }
  });

  test("wraps references with siblings in allOf and adds upstream's zero defaults", () => {
    expect(property(apps, "io.k8s.api.apps.v1.Deployment", "metadata")).toEqual({
      allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }],
      default: {},
      description: "Standard object's metadata.",
    });
    expect(property(apps, "io.k8s.api.core.v1.PodSpec", "containers")).toEqual({
      items: {
        allOf: [{ $ref: "#/components/schemas/io.k8s.api.core.v1.Container" }],
        default: {},
      },
      type: "array",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(property(apps, "io.k8s.api.apps.v1.DeploymentSpec", "selector")).toEqual({
      $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    });
    expect(property(apps, "io.k8s.api.core.v1.Container", "name")).toEqual({
      default: "",
      type: "string",
    });
    expect(property(apps, "io.k8s.api.core.v1.Container", "args")).toEqual({
      items: { default: "", type: "string" },
      type: "array",
      "x-kubernetes-list-type": "atomic",
    });
  });

  test("renders Quantity and IntOrString as OpenAPI 3 alternatives", () => {
    const named = (name: string) => {
      const { description: _, ...rest } = schema(apps, name);
      return rest;
    };
    expect(named("io.k8s.apimachinery.pkg.api.resource.Quantity")).toEqual({
      oneOf: [{ type: "string" }, { type: "number" }],
    });
    expect(named("io.k8s.apimachinery.pkg.util.intstr.IntOrString")).toEqual({
      format: "int-or-string",
      oneOf: [{ type: "integer" }, { type: "string" }],
    });
  });

  test("lists fieldValidation on every patch operation itself, where kubectl looks for it", () => {
    let patches = 0;
    for (const path of openApiV3Paths(fixtureKinds)) {
      const doc = buildOpenApiV3(fixtureKinds, path) as Schema;
      for (const [name, item] of Object.entries(doc.paths as Record<string, Schema>)) {
        // Connect operations (proxy) take PATCH too but are not object patches.
        if (item.patch?.["x-kubernetes-action"] !== "patch") continue;
        patches++;
        const names = (item.patch.parameters as Schema[]).map((p) => `${p.in}:${p.name}`);
        expect({
          name,
          names,
          gvk: Boolean(item.patch["x-kubernetes-group-version-kind"]),
        }).toEqual({
          name,
          names: ["query:dryRun", "query:fieldManager", "query:fieldValidation", "query:force"],
          gvk: true,
        });
      }
    }
    expect(patches).toBeGreaterThan(20);
  });

  test("describes request and response bodies per media type", () => {
    const patch = apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch;
    expect(Object.keys(patch.requestBody.content)).toContain(
      "application/strategic-merge-patch+json",
    );
    expect(patch.requestBody.required).toBe(true);
    expect(patch.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/io.k8s.api.apps.v1.Deployment",
    });
    const list = apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments"].get;
    expect(list["x-kubernetes-action"]).toBe("list");
    expect(Object.keys(list.responses["200"].content)).toContain("application/json;stream=watch");
    expect(apps.paths["/apis/apps/v1/"].get.operationId).toBe("getAppsV1APIResources");
    const root = buildOpenApiV3(fixtureKinds, "apis") as Schema;
    expect(root.paths["/apis/"].get.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList",
    });
  });
});

import { describe, expect, test } from "bun:test";
import {
  buildOpenApiV2,
  crdStandInSupportsFieldValidation,
} from "../../../src/api/openapi/openapi-v2.ts";
import type { KindDefinition } from "../../../src/resources/kind.ts";
import { fixtureKinds } from "../discovery/fixture-kinds.ts";

const doc = buildOpenApiV2(fixtureKinds);
// biome-ignore lint/suspicious/noExplicitAny: the assertions walk untyped JSON documents by key.
type Schema = Record<string, any>;
const definition = (name: string): Schema => doc.definitions[name] as Schema;
const property = (name: string, field: string): Schema => definition(name).properties[field];
const operation = (path: string, method: string): Schema => (doc.paths[path] as Schema)?.[method];

/** Every `$ref` anywhere in `value`, with where it was found. */
function refs(value: unknown, where = "#"): { ref: string; where: string; holder: Schema }[] {
  if (typeof value !== "object" || value === null) return [];
  const found: { ref: string; where: string; holder: Schema }[] = [];
  const holder = value as Schema;
  if (typeof holder.$ref === "string") found.push({ ref: holder.$ref, where, holder });
  for (const [key, child] of Object.entries(holder)) found.push(...refs(child, `${where}/${key}`));
  return found;
}

describe("buildOpenApiV2", () => {
  test("names definitions like upstream and marks kinds with their group, version and kind", () => {
    expect(doc.swagger).toBe("2.0");
    expect(definition("io.k8s.api.core.v1.Pod")["x-kubernetes-group-version-kind"]).toEqual([
      { group: "", version: "v1", kind: "Pod" },
    ]);
    expect(definition("io.k8s.api.core.v1.PodList")["x-kubernetes-group-version-kind"]).toEqual([
      { group: "", version: "v1", kind: "PodList" },
    ]);
    expect(
      definition("io.k8s.api.autoscaling.v1.Scale")["x-kubernetes-group-version-kind"],
    ).toEqual([{ group: "autoscaling", version: "v1", kind: "Scale" }]);
    expect(
      definition("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")[
        "x-kubernetes-group-version-kind"
      ],
    ).toContainEqual({ group: "apps", version: "v1", kind: "DeleteOptions" });
    expect(Object.keys(definition("io.k8s.api.core.v1.Pod").properties)).toEqual([
      "apiVersion",
      "kind",
      "metadata",
      "spec",
      "status",
    ]);
    expect(property("io.k8s.api.core.v1.Pod", "metadata").$ref).toBe(
      "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    );
  });

  test("carries the strategic-merge and list extensions kubectl apply patches with", () => {
    expect(property("io.k8s.api.core.v1.PodSpec", "containers")).toEqual({
      items: { $ref: "#/definitions/io.k8s.api.core.v1.Container" },
      type: "array",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(property("io.k8s.api.core.v1.PodSpec", "volumes")["x-kubernetes-patch-strategy"]).toBe(
      "merge,retainKeys",
    );
    expect(property("io.k8s.api.core.v1.Container", "ports")).toMatchObject({
      "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
      "x-kubernetes-patch-merge-key": "containerPort",
    });
    expect(property("io.k8s.api.apps.v1.DeploymentSpec", "strategy")).toEqual({
      $ref: "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy",
      "x-kubernetes-patch-strategy": "retainKeys",
    });
    expect(definition("io.k8s.api.core.v1.LocalObjectReference")["x-kubernetes-map-type"]).toBe(
      "atomic",
    );
  });

  test("lists required fields the way kube-openapi derives them", () => {
    expect(definition("io.k8s.api.core.v1.PodSpec").required).toEqual(["containers"]);
    expect(definition("io.k8s.api.core.v1.Container").required).toEqual(["name"]);
    expect(definition("io.k8s.api.apps.v1.DeploymentSpec").required).toEqual([
      "selector",
      "template",
    ]);
    expect(definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").required).toBeUndefined();
  });

  test("publishes closed enums and leaves open sets such as condition types free", () => {
    expect(property("io.k8s.api.core.v1.Container", "imagePullPolicy")).toEqual({
      enum: ["Always", "Never", "IfNotPresent"],
      type: "string",
    });
    expect(property("io.k8s.api.core.v1.NodeCondition", "type")).toEqual({ type: "string" });
    expect(property("io.k8s.api.core.v1.PodCondition", "status")).toEqual({ type: "string" });
  });

  test("renders custom-serialised types as upstream does", () => {
    const named = (name: string) => {
      const { description: _, ...rest } = definition(name);
      return rest;
    };
    expect(named("io.k8s.apimachinery.pkg.api.resource.Quantity")).toEqual({ type: "string" });
    expect(named("io.k8s.apimachinery.pkg.util.intstr.IntOrString")).toEqual({
      format: "int-or-string",
      type: "string",
    });
    expect(named("io.k8s.apimachinery.pkg.apis.meta.v1.Time")).toEqual({
      format: "date-time",
      type: "string",
    });
    expect(named("io.k8s.apimachinery.pkg.runtime.RawExtension")).toEqual({ type: "object" });
    expect(property("io.k8s.api.core.v1.ResourceRequirements", "limits")).toEqual({
      additionalProperties: { $ref: "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity" },
      type: "object",
    });
  });

  test("keeps every reference resolvable and free of what kube-openapi rejects next to a $ref", () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(100);
    for (const { ref, where, holder } of all) {
      expect({ where, ref, known: ref.replace("#/definitions/", "") in doc.definitions }).toEqual({
        where,
        ref,
        known: true,
      });
      expect({ where, type: holder.type, properties: holder.properties }).toEqual({
        where,
        type: undefined,
        properties: undefined,
      });
    }
  });

  test("describes every verb of a resource with its action and kind", () => {
    const item = "/api/v1/namespaces/{namespace}/pods/{name}";
    const patch = operation(item, "patch");
    expect(patch).toMatchObject({
      operationId: "patchCoreV1NamespacedPod",
      "x-kubernetes-action": "patch",
      "x-kubernetes-group-version-kind": { group: "", version: "v1", kind: "Pod" },
    });
    expect(patch.consumes).toContain("application/strategic-merge-patch+json");
    expect(patch.parameters.map((p: Schema) => p.name)).toEqual([
      "body",
      "dryRun",
      "fieldManager",
      "fieldValidation",
      "force",
    ]);
    expect(patch.parameters[3]).toMatchObject({ in: "query", type: "string" });
    expect(operation(item, "get")["x-kubernetes-action"]).toBe("get");
    expect(operation(item, "put")["x-kubernetes-action"]).toBe("put");
    expect(operation(item, "delete")["x-kubernetes-action"]).toBe("delete");
    expect(operation("/api/v1/namespaces/{namespace}/pods", "get")).toMatchObject({
      operationId: "listCoreV1NamespacedPod",
      "x-kubernetes-action": "list",
    });
    expect(operation("/api/v1/namespaces/{namespace}/pods", "post").operationId).toBe(
      "createCoreV1NamespacedPod",
    );
    expect(operation("/api/v1/namespaces/{namespace}/pods", "delete")["x-kubernetes-action"]).toBe(
      "deletecollection",
    );
    expect(operation("/api/v1/pods", "get").operationId).toBe("listCoreV1PodForAllNamespaces");
    expect(
      operation("/api/v1/watch/namespaces/{namespace}/pods", "get")["x-kubernetes-action"],
    ).toBe("watchlist");
    expect(operation("/api/v1/nodes/{name}", "get").operationId).toBe("readCoreV1Node");
    expect(doc.paths["/api/v1/namespaces/{namespace}/pods/{name}"]?.parameters).toEqual([
      expect.objectContaining({ name: "name", in: "path", required: true }),
      expect.objectContaining({ name: "namespace", in: "path", required: true }),
      expect.objectContaining({ name: "pretty", in: "query" }),
    ]);
  });

  test("describes subresources with the kind they answer with", () => {
    const scale = "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale";
    expect(operation(scale, "get")).toMatchObject({
      operationId: "readAppsV1NamespacedDeploymentScale",
      "x-kubernetes-group-version-kind": { group: "autoscaling", version: "v1", kind: "Scale" },
      responses: { "200": { schema: { $ref: "#/definitions/io.k8s.api.autoscaling.v1.Scale" } } },
    });
    const log = operation("/api/v1/namespaces/{namespace}/pods/{name}/log", "get");
    expect(log.produces).toContain("text/plain");
    expect(log.responses["200"].schema).toEqual({ type: "string" });
    expect(
      operation("/api/v1/namespaces/{namespace}/pods/{name}/exec", "post")["x-kubernetes-action"],
    ).toBe("connect");
    expect(
      operation("/api/v1/namespaces/{namespace}/pods/{name}/eviction", "post")[
        "x-kubernetes-group-version-kind"
      ],
    ).toEqual({ group: "policy", version: "v1", kind: "Eviction" });
    expect(operation("/api/v1/namespaces/{name}/finalize", "put")).toBeDefined();
    expect(operation("/api/v1/nodes/{name}/proxy/{path}", "get").operationId).toBe(
      "connectCoreV1GetNodeProxyWithPath",
    );
  });

  test("offers only the verbs a kind serves", () => {
    expect(Object.keys(doc.paths["/api/v1/namespaces/{namespace}/bindings"] ?? {})).toEqual([
      "post",
      "parameters",
    ]);
    expect(doc.paths["/api/v1/namespaces/{namespace}/bindings/{name}"]).toBeUndefined();
    expect(doc.paths["/api/v1/watch/namespaces/{namespace}/bindings"]).toBeUndefined();
  });

  test("keeps fieldValidation off the Namespace patches kubectl reads as its custom-resource stand-in", () => {
    // kubectl looks for the PATCH operation of a kind missing from OpenAPI v3
    // here; finding none, it lists CRDs when the Namespace PATCH lists
    // fieldValidation. Without a CRD list to serve, that list would fail.
    const queryNames = (path: string, method: string) =>
      (operation(path, method).parameters as Schema[])
        .filter((p) => p.in === "query")
        .map((p) => p.name);
    for (const path of ["/api/v1/namespaces/{name}", "/api/v1/namespaces/{name}/status"]) {
      expect(operation(path, "patch")["x-kubernetes-group-version-kind"]).toEqual({
        group: "",
        version: "v1",
        kind: "Namespace",
      });
      expect({ path, names: queryNames(path, "patch") }).toEqual({
        path,
        names: ["dryRun", "fieldManager", "force"],
      });
    }
    // Only the stand-in's patches: its other writes and every other kind's patch keep it.
    expect(queryNames("/api/v1/namespaces", "post")).toContain("fieldValidation");
    expect(queryNames("/api/v1/namespaces/{name}", "put")).toContain("fieldValidation");
    expect(queryNames("/api/v1/nodes/{name}", "patch")).toContain("fieldValidation");
    expect(queryNames("/api/v1/nodes/{name}/status", "patch")).toContain("fieldValidation");
    let patches = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) {
      const patch = item.patch;
      if (patch?.["x-kubernetes-action"] !== "patch") continue;
      if (patch["x-kubernetes-group-version-kind"]?.kind === "Namespace") continue;
      patches++;
      expect({ path, has: queryNames(path, "patch").includes("fieldValidation") }).toEqual({
        path,
        has: true,
      });
    }
    expect(patches).toBeGreaterThan(20);
  });

  test("lists fieldValidation on the Namespace patches once CRDs are served", () => {
    const crd: KindDefinition = {
      group: "apiextensions.k8s.io",
      version: "v1",
      kind: "CustomResourceDefinition",
      resource: "customresourcedefinitions",
      singular: "customresourcedefinition",
      namespaced: false,
      schemaRef: "apiextensions/v1.CustomResourceDefinition",
      hasStatus: true,
    };
    expect(crdStandInSupportsFieldValidation(fixtureKinds)).toBe(false);
    expect(crdStandInSupportsFieldValidation([...fixtureKinds, crd])).toBe(true);
    // A CRD kind that cannot be listed is no help to kubectl's check.
    expect(crdStandInSupportsFieldValidation([...fixtureKinds, { ...crd, verbs: ["get"] }])).toBe(
      false,
    );
    const withCrds = buildOpenApiV2([...fixtureKinds, crd]);
    const patch = (withCrds.paths["/api/v1/namespaces/{name}"] as Schema).patch;
    expect(patch.parameters.map((p: Schema) => p.name)).toEqual([
      "body",
      "dryRun",
      "fieldManager",
      "fieldValidation",
      "force",
    ]);
  });

  test("is built once per kind list", () => {
    expect(buildOpenApiV2(fixtureKinds)).toBe(doc);
  });
});

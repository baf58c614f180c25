import { describe, expect, test } from "bun:test";
import { coreKinds } from "../../../../src/resources/kinds/core/index.ts";
import { typeSchema } from "../../../../src/resources/schema/schema.ts";

const facts: [
  kind: string,
  resource: string,
  namespaced: boolean,
  shortNames: string[] | undefined,
  subresources: string[] | undefined,
][] = [
  ["Namespace", "namespaces", false, ["ns"], ["status", "finalize"]],
  [
    "Pod",
    "pods",
    true,
    ["po"],
    [
      "binding",
      "eviction",
      "log",
      "exec",
      "attach",
      "portforward",
      "status",
      "ephemeralcontainers",
    ],
  ],
  ["Service", "services", true, ["svc"], ["status", "proxy"]],
  ["Endpoints", "endpoints", true, ["ep"], undefined],
  ["ConfigMap", "configmaps", true, ["cm"], undefined],
  ["Secret", "secrets", true, undefined, undefined],
  ["ServiceAccount", "serviceaccounts", true, ["sa"], ["token"]],
  ["Node", "nodes", false, ["no"], ["status", "proxy"]],
  ["Event", "events", true, ["ev"], undefined],
  ["LimitRange", "limitranges", true, ["limits"], undefined],
  ["ResourceQuota", "resourcequotas", true, ["quota"], ["status"]],
  ["PersistentVolume", "persistentvolumes", false, ["pv"], ["status"]],
  ["PersistentVolumeClaim", "persistentvolumeclaims", true, ["pvc"], ["status"]],
  ["ReplicationController", "replicationcontrollers", true, ["rc"], ["status", "scale"]],
  ["PodTemplate", "podtemplates", true, undefined, undefined],
  ["Binding", "bindings", true, undefined, undefined],
];

describe("coreKinds", () => {
  test("lists each core/v1 kind once", () => {
    expect(coreKinds.map((k) => k.kind).sort()).toEqual(facts.map(([kind]) => kind).sort());
  });

  test.each(facts)("%s is served as %s", (kind, resource, namespaced, shortNames, subresources) => {
    const definition = coreKinds.find((k) => k.kind === kind);
    expect(definition).toBeDefined();
    expect(definition?.group).toBe("");
    expect(definition?.version).toBe("v1");
    expect(definition?.resource).toBe(resource);
    expect(definition?.singular).toBe(kind.toLowerCase());
    expect(definition?.namespaced).toBe(namespaced);
    expect(definition?.shortNames).toEqual(shortNames);
    expect(definition?.subresources).toEqual(subresources);
    expect(definition?.schemaRef).toBe(`core/v1.${kind}`);
  });

  test.each(coreKinds.map((k) => [k.kind, k.schemaRef]))(
    "%s names a known schema type",
    (_, ref) => {
      expect(typeSchema(ref)?.ref).toBe(ref);
    },
  );

  test("puts pods, services and replication controllers in the `all` category", () => {
    const inAll = coreKinds.filter((k) => k.categories?.includes("all")).map((k) => k.resource);
    expect(inAll.sort()).toEqual(["pods", "replicationcontrollers", "services"]);
  });

  test("gives status subresources exactly to the kinds with a status", () => {
    for (const kind of coreKinds) {
      expect([kind.kind, kind.hasStatus]).toEqual([
        kind.kind,
        kind.subresources?.includes("status") ?? false,
      ]);
    }
  });

  test("serves bindings for create only", () => {
    expect(coreKinds.find((k) => k.kind === "Binding")?.verbs).toEqual(["create"]);
  });

  test("scales replication controllers through spec.replicas and the map selector", () => {
    expect(coreKinds.find((k) => k.kind === "ReplicationController")?.scale).toEqual({
      specReplicasPath: ".spec.replicas",
      statusReplicasPath: ".status.replicas",
      labelSelectorPath: ".spec.selector",
    });
  });
});

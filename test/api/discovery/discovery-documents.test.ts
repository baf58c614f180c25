import { describe, expect, test } from "bun:test";
import { buildDiscovery } from "../../../src/api/discovery/discovery-documents.ts";
import type { APIResource } from "../../../src/api/discovery/discovery-types.ts";
import { fixtureKinds } from "./fixture-kinds.ts";

const discovery = buildDiscovery(fixtureKinds);

function legacyEntry(name: string, list = discovery.coreResources): APIResource | undefined {
  return list.resources.find((r) => r.name === name);
}

describe("legacy discovery", () => {
  test("lists pods with their verbs, short names, categories and upstream's storage version hash", () => {
    expect(legacyEntry("pods")).toEqual({
      name: "pods",
      singularName: "pod",
      namespaced: true,
      kind: "Pod",
      verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      shortNames: ["po"],
      categories: ["all"],
      // The value a real kube-apiserver reports for core/v1 Pod.
      storageVersionHash: "xPOwRZ+Yhw8=",
    });
    expect(
      legacyEntry("deployments", discovery.groupVersion("apps", "v1"))?.storageVersionHash,
    ).toBe("8aSe+NMegvE=");
  });

  test("lists each subresource as its own entry with the kind it answers with", () => {
    expect(legacyEntry("pods/log")).toEqual({
      name: "pods/log",
      singularName: "",
      namespaced: true,
      kind: "Pod",
      verbs: ["get"],
    });
    expect(legacyEntry("pods/status")?.verbs).toEqual(["get", "patch", "update"]);
    expect(legacyEntry("pods/exec")).toMatchObject({
      kind: "PodExecOptions",
      verbs: ["create", "get"],
    });
    expect(legacyEntry("pods/eviction")).toMatchObject({
      group: "policy",
      version: "v1",
      kind: "Eviction",
      verbs: ["create"],
    });
    expect(legacyEntry("serviceaccounts/token")).toMatchObject({
      group: "authentication.k8s.io",
      kind: "TokenRequest",
    });
    expect(legacyEntry("namespaces/finalize")).toMatchObject({
      kind: "Namespace",
      verbs: ["update"],
    });
    expect(legacyEntry("nodes/proxy")?.kind).toBe("NodeProxyOptions");
  });

  test("gives deployments/scale the autoscaling/v1 Scale kind", () => {
    expect(legacyEntry("deployments/scale", discovery.groupVersion("apps", "v1"))).toEqual({
      name: "deployments/scale",
      singularName: "",
      namespaced: true,
      group: "autoscaling",
      version: "v1",
      kind: "Scale",
      verbs: ["get", "patch", "update"],
    });
  });

  test("sorts resources by name, each subresource right after its parent", () => {
    const names = discovery.coreResources.resources.map((r) => r.name);
    expect(names).toEqual([...names].sort());
    expect(names.slice(names.indexOf("pods"), names.indexOf("pods") + 3)).toEqual([
      "pods",
      "pods/attach",
      "pods/binding",
    ]);
  });

  test("gives a create-only resource its verbs and no storage version hash", () => {
    expect(legacyEntry("bindings")).toEqual({
      name: "bindings",
      singularName: "binding",
      namespaced: true,
      kind: "Binding",
      verbs: ["create"],
    });
  });

  test("answers /api with the core versions and /apis with groups in upstream's order", () => {
    expect(discovery.versions).toEqual({
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [],
    });
    expect(discovery.groups.groups.map((g) => g.name)).toEqual([
      "apps",
      "autoscaling",
      "coordination.k8s.io",
    ]);
    expect(discovery.group("autoscaling")).toEqual({
      kind: "APIGroup",
      apiVersion: "v1",
      name: "autoscaling",
      versions: [
        { groupVersion: "autoscaling/v2", version: "v2" },
        { groupVersion: "autoscaling/v1", version: "v1" },
      ],
      preferredVersion: { groupVersion: "autoscaling/v2", version: "v2" },
    });
  });

  test("returns undefined for a group or version it does not serve", () => {
    expect(discovery.group("batch")).toBeUndefined();
    expect(discovery.groupVersion("apps", "v1beta1")).toBeUndefined();
    expect(discovery.groupVersion("", "v1")).toBe(discovery.coreResources);
    expect(discovery.groupVersion("apps", "v1")?.groupVersion).toBe("apps/v1");
  });

  test("is built once per kind list", () => {
    expect(buildDiscovery(fixtureKinds)).toBe(discovery);
    expect(buildDiscovery([...fixtureKinds])).not.toBe(discovery);
  });
});

describe("aggregated discovery", () => {
  test("answers /api with the core group in the apidiscovery.k8s.io/v2 shape", () => {
    const list = discovery.aggregatedCore;
    expect(list.kind).toBe("APIGroupDiscoveryList");
    expect(list.apiVersion).toBe("apidiscovery.k8s.io/v2");
    expect(list.items).toHaveLength(1);
    const [core] = list.items;
    expect(core?.metadata).toEqual({ creationTimestamp: null });
    expect(core?.versions.map((v) => [v.version, v.freshness])).toEqual([["v1", "Current"]]);
    const pods = core?.versions[0]?.resources.find((r) => r.resource === "pods");
    expect(pods).toMatchObject({
      resource: "pods",
      responseKind: { group: "", version: "v1", kind: "Pod" },
      scope: "Namespaced",
      singularResource: "pod",
      verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      shortNames: ["po"],
      categories: ["all"],
    });
    expect(pods?.subresources?.find((s) => s.subresource === "log")).toEqual({
      subresource: "log",
      responseKind: { group: "", version: "v1", kind: "Pod" },
      verbs: ["get"],
    });
  });

  test("answers /apis with each group, its versions preferred first, and cluster scope", () => {
    const list = discovery.aggregatedGroups;
    expect(list.items.map((g) => g.metadata.name)).toEqual([
      "apps",
      "autoscaling",
      "coordination.k8s.io",
    ]);
    const autoscaling = list.items.find((g) => g.metadata.name === "autoscaling");
    expect(autoscaling?.versions.map((v) => v.version)).toEqual(["v2", "v1"]);
    const deployments = list.items[0]?.versions[0]?.resources.find(
      (r) => r.resource === "deployments",
    );
    expect(deployments?.subresources).toEqual([
      {
        subresource: "scale",
        responseKind: { group: "autoscaling", version: "v1", kind: "Scale" },
        verbs: ["get", "patch", "update"],
      },
      {
        subresource: "status",
        responseKind: { group: "apps", version: "v1", kind: "Deployment" },
        verbs: ["get", "patch", "update"],
      },
    ]);
    const namespaces = discovery.aggregatedCore.items[0]?.versions[0]?.resources.find(
      (r) => r.resource === "namespaces",
    );
    expect(namespaces?.scope).toBe("Cluster");
  });

  test("serves v2beta1 with the same content under its own apiVersion", () => {
    const beta = discovery.aggregated("apis", "v2beta1");
    expect(beta.apiVersion).toBe("apidiscovery.k8s.io/v2beta1");
    expect(beta.items).toEqual(discovery.aggregatedGroups.items);
    expect(discovery.aggregated("api", "v2")).toBe(discovery.aggregatedCore);
  });

  test("lists the same resources as legacy discovery, once client-go flattens it", () => {
    for (const [list, root] of [
      [discovery.coreResources, discovery.aggregatedCore],
      [discovery.groupVersion("apps", "v1"), discovery.aggregatedGroups],
    ] as const) {
      const versionDoc = root.items
        .flatMap((g) => g.versions.map((v) => ({ g: g.metadata.name ?? "", v })))
        .find(({ g, v }) => `${g ? `${g}/` : ""}${v.version}` === list?.groupVersion)?.v;
      const flattened = (versionDoc?.resources ?? []).flatMap((r) => [
        `${r.resource} ${r.responseKind.kind} ${r.verbs.join(",")}`,
        ...(r.subresources ?? []).map(
          (s) => `${r.resource}/${s.subresource} ${s.responseKind.kind} ${s.verbs.join(",")}`,
        ),
      ]);
      const legacy = (list?.resources ?? []).map((r) => `${r.name} ${r.kind} ${r.verbs.join(",")}`);
      expect(flattened.sort()).toEqual(legacy.sort());
    }
  });
});

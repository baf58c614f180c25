import { afterEach, describe, expect, test } from "bun:test";
import {
  EndpointSliceController,
  type SliceEndpoint,
  sliceLabels,
} from "../../src/controllers/endpoint-slice.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { pod, service } from "./endpoint-fixtures.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const node = (name: string, zone?: string): KubeObject => ({
  metadata: { name, ...(zone ? { labels: { "topology.kubernetes.io/zone": zone } } : {}) },
});

const endpoint = (
  name: string,
  ip: string,
  conditions = { ready: true, serving: true, terminating: false },
): SliceEndpoint => ({
  addresses: [ip],
  conditions,
  nodeName: "node-1",
  zone: "z1",
  targetRef: { kind: "Pod", namespace: "default", name, uid: `uid-${name}` },
});

const ports = [
  { name: "http", port: 8080, protocol: "TCP" },
  { name: "metrics", port: 9100, protocol: "TCP" },
];

describe("EndpointSliceController", () => {
  let controller: EndpointSliceController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(
    services: KubeObject[],
    pods: KubeObject[],
    slices: KubeObject[] = [],
    maxEndpointsPerSlice?: number,
  ) {
    const fake = new FakeClient();
    let generated = 0;
    fake.respond = (action) => {
      if (action.verb !== "create" && action.verb !== "update") return action.body;
      const body = structuredClone(action.body as KubeObject);
      const meta = body.metadata ?? {};
      body.metadata = meta;
      if (action.verb === "create" && meta.generateName) {
        meta.name = `${meta.generateName}${++generated}`;
        meta.uid = `slice-uid-${generated}`;
      }
      meta.generation = (meta.generation ?? 0) + 1;
      return body;
    };
    const client = fake.asClient();
    controller = new EndpointSliceController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      ...(maxEndpointsPerSlice ? { maxEndpointsPerSlice } : {}),
    });
    controller.services.replace(services, "1");
    controller.pods.replace(pods, "1");
    controller.nodes.replace([node("node-1", "z1")], "1");
    controller.slices.replace(slices, "1");
    return { fake, controller };
  }

  const stored = (body: KubeObject, name: string, generation = 1, uid = `uid-${name}`) => ({
    ...structuredClone(body),
    metadata: { ...body.metadata, name, uid, generation, resourceVersion: "7" },
  });

  test("creates a slice owned by the Service with one endpoint per pod", async () => {
    const { fake, controller } = setUp(
      [service("web")],
      [
        pod("a", "10.1.0.2"),
        pod("b", "10.1.0.3", { ready: false }),
        pod("c", "10.1.0.4", { deleting: true }),
        pod("done", "10.1.0.5", { phase: "Failed" }),
      ],
    );
    await controller.sync("default/web");
    expect(fake.writes()).toEqual([
      "create /apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
    ]);
    const slice = fake.actions[0]?.body as KubeObject;
    expect(slice.metadata?.generateName).toBe("web-");
    expect(slice.metadata?.labels).toEqual({
      app: "web",
      "kubernetes.io/service-name": "web",
      "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    });
    expect(slice.metadata?.ownerReferences).toEqual([
      {
        apiVersion: "v1",
        kind: "Service",
        name: "web",
        uid: "svc-web",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(slice.metadata?.annotations?.["endpoints.kubernetes.io/last-change-trigger-time"]).toBe(
      "2024-01-01T00:00:00Z",
    );
    expect(slice.addressType).toBe("IPv4");
    expect(slice.ports).toEqual(ports);
    expect(slice.endpoints).toEqual([
      endpoint("a", "10.1.0.2"),
      endpoint("b", "10.1.0.3", { ready: false, serving: false, terminating: false }),
      endpoint("c", "10.1.0.4", { ready: false, serving: true, terminating: true }),
    ]);
  });

  test("spreads endpoints over slices of at most the maximum size", async () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, `10.1.0.${i + 2}`));
    const { fake, controller } = setUp([service("web")], pods, [], 2);
    await controller.sync("default/web");
    const sizes = fake.actions.map((a) => (a.body?.endpoints as unknown[]).length);
    expect(sizes).toEqual([2, 2, 1]);
  });

  test("updates the existing slice in place instead of recreating it", async () => {
    const { fake, controller } = setUp([service("web")], [pod("a", "10.1.0.2")]);
    await controller.sync("default/web");
    const slice = stored(fake.actions[0]?.body as KubeObject, "web-abcde");
    controller.slices.replace([slice], "2");
    fake.actions.length = 0;
    await controller.sync("default/web");
    expect(fake.writes()).toEqual([]);
    controller.pods.replace([pod("b", "10.1.0.3", { ready: false })], "3");
    await controller.sync("default/web");
    expect(fake.writes()).toEqual([
      "update /apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-abcde",
    ]);
    const updated = fake.actions[0]?.body as KubeObject;
    expect(updated.metadata?.resourceVersion).toBe("7");
    expect(updated.endpoints).toEqual([
      endpoint("b", "10.1.0.3", { ready: false, serving: false, terminating: false }),
    ]);
  });

  test("keeps an empty placeholder slice when nothing is selected", async () => {
    const { fake, controller } = setUp([service("web")], []);
    await controller.sync("default/web");
    const placeholder = fake.actions[0]?.body as KubeObject;
    expect(placeholder.endpoints).toEqual([]);
    expect(placeholder.ports).toEqual([]);
    controller.slices.replace([stored(placeholder, "web-empty")], "2");
    fake.actions.length = 0;
    await controller.sync("default/web");
    expect(fake.writes()).toEqual([]);
  });

  test("reuses a slice whose ports changed rather than deleting and creating", async () => {
    const { fake, controller } = setUp([service("web")], [pod("a", "10.1.0.2")]);
    await controller.sync("default/web");
    controller.slices.replace([stored(fake.actions[0]?.body as KubeObject, "web-abcde")], "2");
    const changed = service("web", { ports: [{ port: 81, targetPort: 81 }] });
    changed.metadata = { ...changed.metadata, resourceVersion: "2" };
    controller.services.replace([changed], "2");
    fake.actions.length = 0;
    await controller.sync("default/web");
    expect(fake.writes()).toEqual([
      "update /apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-abcde",
    ]);
    expect(fake.actions[0]?.body?.ports).toEqual([{ name: "", port: 81, protocol: "TCP" }]);
  });

  test("deletes slices left by an earlier Service of the same name", async () => {
    const old = {
      ...service("web"),
      metadata: { ...service("web").metadata, uid: "old-uid" },
    };
    const leftover = {
      metadata: {
        name: "web-old",
        namespace: "default",
        uid: "uid-web-old",
        labels: sliceLabels(old),
        ownerReferences: [
          { apiVersion: "v1", kind: "Service", name: "web", uid: "old-uid", controller: true },
        ],
      },
      addressType: "IPv4",
      endpoints: [],
      ports: [],
    };
    const { fake, controller } = setUp([service("web")], [pod("a", "10.1.0.2")], [leftover]);
    await controller.sync("default/web");
    expect(fake.writes()).toEqual([
      "create /apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
      "delete /apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-old",
    ]);
  });

  test("refuses to act on a cache older than its own last write", async () => {
    const { fake, controller } = setUp([service("web")], [pod("a", "10.1.0.2")]);
    await controller.sync("default/web");
    const created = fake.actions[0]?.body as KubeObject;
    // The cache still has the slice at an older generation than the one written.
    controller.slices.replace([stored(created, "web-1", 0, "slice-uid-1")], "2");
    await expect(controller.sync("default/web")).rejects.toThrow("out of date");
  });

  test("skips pods on unknown nodes and retries later", async () => {
    const stray = pod("stray", "10.1.0.9");
    (stray.spec as { nodeName: string }).nodeName = "gone";
    const { fake, controller } = setUp([service("web")], [pod("a", "10.1.0.2"), stray]);
    await expect(controller.sync("default/web")).rejects.toThrow("unknown nodes gone");
    expect(fake.actions[0]?.body?.endpoints).toEqual([endpoint("a", "10.1.0.2")]);
  });

  test("leaves Services without a selector alone", async () => {
    const { fake, controller } = setUp([service("manual", { selector: undefined })], []);
    await controller.sync("default/manual");
    expect(fake.actions).toEqual([]);
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import {
  EndpointsController,
  MAX_CAPACITY,
  repackSubsets,
  truncateSubsets,
} from "../../src/controllers/endpoints.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { pod, service } from "./endpoint-fixtures.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const ref = (name: string) => ({ kind: "Pod", namespace: "default", name, uid: `uid-${name}` });

describe("EndpointsController", () => {
  let controller: EndpointsController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(services: KubeObject[], pods: KubeObject[], endpoints: KubeObject[] = []) {
    const fake = new FakeClient();
    const client = fake.asClient();
    controller = new EndpointsController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
    });
    controller.services.replace(services, "1");
    controller.pods.replace(pods, "1");
    controller.endpoints.replace(endpoints, "1");
    return { fake, controller };
  }

  test("lists ready pods under addresses and the others under notReadyAddresses", async () => {
    const { fake, controller } = setUp(
      [service("web")],
      [
        pod("a", "10.1.0.2"),
        pod("b", "10.1.0.3", { ready: false }),
        pod("no-ip", undefined),
        pod("done", "10.1.0.4", { phase: "Succeeded" }),
        pod("leaving", "10.1.0.5", { deleting: true }),
        pod("other", "10.1.0.6", { labels: { app: "db" } }),
      ],
    );
    await controller.sync("default/web");
    expect(fake.writes()).toEqual(["create /api/v1/namespaces/default/endpoints"]);
    const body = fake.actions[0]?.body as KubeObject;
    expect(body.metadata).toEqual({
      name: "web",
      namespace: "default",
      labels: { app: "web", "endpoints.kubernetes.io/managed-by": "endpoint-controller" },
      annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2024-01-01T00:00:00Z" },
    });
    expect(body.subsets).toEqual([
      {
        addresses: [{ ip: "10.1.0.2", nodeName: "node-1", targetRef: ref("a") }],
        notReadyAddresses: [{ ip: "10.1.0.3", nodeName: "node-1", targetRef: ref("b") }],
        ports: [
          { name: "http", port: 8080, protocol: "TCP" },
          { name: "metrics", port: 9100, protocol: "TCP" },
        ],
      },
    ]);
  });

  test("publishNotReadyAddresses publishes every pod with an IP as ready, terminating ones too", async () => {
    const { fake, controller } = setUp(
      [service("web", { publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 80 }] })],
      [pod("a", "10.1.0.2", { ready: false }), pod("b", "10.1.0.3", { deleting: true })],
    );
    await controller.sync("default/web");
    expect((fake.actions[0]?.body as KubeObject).subsets).toEqual([
      {
        addresses: [
          { ip: "10.1.0.2", nodeName: "node-1", targetRef: ref("a") },
          { ip: "10.1.0.3", nodeName: "node-1", targetRef: ref("b") },
        ],
        ports: [{ port: 80, protocol: "TCP" }],
      },
    ]);
  });

  test("a pod without the named port is published only for the ports it has", async () => {
    const bare = pod("bare", "10.1.0.7");
    (bare.spec as { containers: unknown[] }).containers = [{ name: "c" }];
    const { fake, controller } = setUp([service("web")], [pod("a", "10.1.0.2"), bare]);
    await controller.sync("default/web");
    expect((fake.actions[0]?.body as KubeObject).subsets).toEqual([
      {
        addresses: [
          { ip: "10.1.0.2", nodeName: "node-1", targetRef: ref("a") },
          { ip: "10.1.0.7", nodeName: "node-1", targetRef: ref("bare") },
        ],
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
      {
        addresses: [{ ip: "10.1.0.2", nodeName: "node-1", targetRef: ref("a") }],
        ports: [{ name: "metrics", port: 9100, protocol: "TCP" }],
      },
    ]);
  });

  test("sets the hostname of pods whose subdomain is the Service, and marks headless Services", async () => {
    const named = pod("a", "10.1.0.2");
    Object.assign(named.spec as object, { hostname: "a-host", subdomain: "web" });
    const { fake, controller } = setUp([service("web", { clusterIP: "None" })], [named]);
    await controller.sync("default/web");
    const body = fake.actions[0]?.body as KubeObject;
    expect(body.metadata?.labels?.["service.kubernetes.io/headless"]).toBe("");
    const subsets = body.subsets as { addresses: { hostname?: string }[] }[];
    expect(subsets[0]?.addresses[0]?.hostname).toBe("a-host");
  });

  test("updates an Endpoints that changed and leaves an up-to-date one alone", async () => {
    const { fake, controller } = setUp([service("web")], [pod("a", "10.1.0.2")]);
    await controller.sync("default/web");
    const written = fake.actions[0]?.body as KubeObject;
    const stored = {
      ...structuredClone(written),
      metadata: { ...written.metadata, resourceVersion: "5" },
    };
    controller.endpoints.replace([stored], "2");
    fake.actions.length = 0;
    await controller.sync("default/web");
    expect(fake.writes()).toEqual([]);
    controller.pods.replace([pod("a", "10.1.0.2"), pod("b", "10.1.0.3")], "3");
    await controller.sync("default/web");
    expect(fake.writes()).toEqual(["update /api/v1/namespaces/default/endpoints/web"]);
    const updated = fake.actions[0]?.body as KubeObject;
    expect(updated.metadata?.resourceVersion).toBe("5");
    const addresses = (updated.subsets as { addresses: { ip: string }[] }[])[0]?.addresses;
    expect(addresses?.map((a) => a.ip)).toEqual(["10.1.0.2", "10.1.0.3"]);
  });

  test("leaves the Endpoints of Services without a selector to their users", async () => {
    const manual = { metadata: { name: "kubernetes", namespace: "default" }, subsets: [] };
    const { fake, controller } = setUp(
      [service("kubernetes", { selector: undefined }), service("ext", { type: "ExternalName" })],
      [pod("a", "10.1.0.2")],
      [manual],
    );
    await controller.sync("default/kubernetes");
    await controller.sync("default/ext");
    expect(fake.actions).toEqual([]);
  });

  test("deletes the Endpoints when its Service is gone", async () => {
    const leftover = {
      metadata: {
        name: "old",
        namespace: "default",
        labels: { "endpoints.kubernetes.io/managed-by": "endpoint-controller" },
      },
    };
    const { fake, controller } = setUp([], [], [leftover]);
    await controller.sync("default/old");
    await controller.sync("default/never-existed");
    expect(fake.writes()).toEqual(["delete /api/v1/namespaces/default/endpoints/old"]);
  });

  test("queues the Services that select a changed pod, before and after a label change", async () => {
    const { controller } = setUp([service("web"), service("db", { selector: { app: "db" } })], []);
    controller.pods.replace([pod("a", "10.1.0.2")], "2");
    expect(await controller.loop.queue.get()).toBe("default/web");
    controller.loop.queue.done("default/web");
    controller.pods.modified({
      ...pod("a", "10.1.0.2", { labels: { app: "db" } }),
      metadata: { ...pod("a", "").metadata, labels: { app: "db" }, resourceVersion: "2" },
    });
    const keys = [await controller.loop.queue.get(), await controller.loop.queue.get()];
    expect(keys.sort()).toEqual(["default/db", "default/web"]);
  });
});

describe("repackSubsets", () => {
  test("merges addresses that share ports and keeps an address ready if any entry says so", () => {
    const address = { ip: "10.0.0.1", targetRef: ref("a") };
    const subsets = repackSubsets([
      { address, ready: false, port: { port: 80, protocol: "TCP" } },
      { address, ready: true, port: { port: 80, protocol: "TCP" } },
      {
        address: { ip: "10.0.0.2", targetRef: ref("b") },
        ready: true,
        port: { port: 80, protocol: "TCP" },
      },
    ]);
    expect(subsets).toEqual([
      {
        addresses: [address, { ip: "10.0.0.2", targetRef: ref("b") }],
        ports: [{ port: 80, protocol: "TCP" }],
      },
    ]);
  });
});

describe("truncateSubsets", () => {
  test("keeps ready addresses first and at most MAX_CAPACITY in all", () => {
    const addresses = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ ip: `${prefix}.${i}` }));
    const truncated = truncateSubsets([
      { addresses: addresses(900, "10.0.0"), notReadyAddresses: addresses(300, "10.0.1") },
    ]);
    expect(truncated[0]?.addresses?.length).toBe(900);
    expect(truncated[0]?.notReadyAddresses?.length).toBe(MAX_CAPACITY - 900);
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import {
  DESCRIPTION,
  isUpToDate,
  RootCaPublisher,
  rootCaConfigMap,
} from "../../src/controllers/root-ca-publisher.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const active = (name: string): KubeObject => ({ metadata: { name }, status: { phase: "Active" } });

describe("isUpToDate", () => {
  test("wants exactly ca.crt and the description annotation", () => {
    const good = rootCaConfigMap("team", CA);
    expect(isUpToDate(good, CA)).toBe(true);
    expect(isUpToDate({ ...good, data: { "ca.crt": "other" } }, CA)).toBe(false);
    expect(isUpToDate({ ...good, data: { "ca.crt": CA, extra: "x" } }, CA)).toBe(false);
    expect(isUpToDate({ ...good, metadata: { name: "kube-root-ca.crt" } }, CA)).toBe(false);
  });
});

describe("RootCaPublisher", () => {
  let publisher: RootCaPublisher | undefined;
  afterEach(() => publisher?.loop.stop());

  function setUp(namespaces: KubeObject[], configMaps: KubeObject[]) {
    const fake = new FakeClient();
    const client = fake.asClient();
    publisher = new RootCaPublisher({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      caPem: CA,
    });
    publisher.namespaces.replace(namespaces, "1");
    publisher.configMaps.replace(configMaps, "1");
    return { fake, publisher };
  }

  test("creates kube-root-ca.crt in an active namespace", async () => {
    const { fake, publisher } = setUp([active("team")], []);
    await publisher.sync("team");
    expect(fake.writes()).toEqual(["create /api/v1/namespaces/team/configmaps"]);
    expect(fake.actions[0]?.body).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "kube-root-ca.crt",
        namespace: "team",
        annotations: { "kubernetes.io/description": DESCRIPTION },
      },
      data: { "ca.crt": CA },
    });
  });

  test("restores changed data on a copy, keeping other metadata", async () => {
    const changed: KubeObject = {
      metadata: {
        name: "kube-root-ca.crt",
        namespace: "team",
        resourceVersion: "9",
        annotations: { mine: "yes" },
      },
      data: { "ca.crt": "tampered" },
    };
    const { fake, publisher } = setUp([active("team")], [changed]);
    await publisher.sync("team");
    expect(fake.writes()).toEqual(["update /api/v1/namespaces/team/configmaps/kube-root-ca.crt"]);
    expect(fake.actions[0]?.body).toEqual({
      metadata: {
        name: "kube-root-ca.crt",
        namespace: "team",
        resourceVersion: "9",
        annotations: { mine: "yes", "kubernetes.io/description": DESCRIPTION },
      },
      data: { "ca.crt": CA },
    });
    expect(publisher.configMaps.store.get("team/kube-root-ca.crt")?.data).toEqual({
      "ca.crt": "tampered",
    });
  });

  test("writes nothing when current or the namespace is terminating", async () => {
    const terminating = { metadata: { name: "old" }, status: { phase: "Terminating" } };
    const { fake, publisher } = setUp([active("team"), terminating], [rootCaConfigMap("team", CA)]);
    await publisher.sync("team");
    await publisher.sync("old");
    expect(fake.actions).toEqual([]);
  });

  test("queues the namespace again when its ConfigMap is deleted", async () => {
    const existing = {
      ...rootCaConfigMap("team", CA),
      metadata: { ...rootCaConfigMap("team", CA).metadata, resourceVersion: "3" },
    };
    const { publisher } = setUp([], [existing]);
    publisher.configMaps.deleted(existing);
    expect(await publisher.loop.queue.get()).toBe("team");
  });
});

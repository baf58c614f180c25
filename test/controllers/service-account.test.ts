import { afterEach, describe, expect, test } from "bun:test";
import { isActiveNamespace } from "../../src/controllers/namespaces.ts";
import { ServiceAccountController } from "../../src/controllers/service-account.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { apiError, FakeClient, RecordingLogger } from "./fake-client.ts";

const namespace = (name: string, phase = "Active", deleting = false): KubeObject => ({
  metadata: { name, ...(deleting ? { deletionTimestamp: "2030-01-01T00:00:00Z" } : {}) },
  status: { phase },
});

describe("isActiveNamespace", () => {
  test("is false for a terminating or deleted namespace", () => {
    expect(isActiveNamespace(namespace("a"))).toBe(true);
    expect(isActiveNamespace(namespace("a", "Terminating"))).toBe(false);
    expect(isActiveNamespace(namespace("a", "Active", true))).toBe(false);
  });
});

describe("ServiceAccountController", () => {
  let controller: ServiceAccountController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(namespaces: KubeObject[], serviceAccounts: KubeObject[]) {
    const fake = new FakeClient();
    const client = fake.asClient();
    controller = new ServiceAccountController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
    });
    controller.namespaces.replace(namespaces, "1");
    controller.serviceAccounts.replace(serviceAccounts, "1");
    return { fake, controller };
  }

  test("creates the default service account in an active namespace", async () => {
    const { fake, controller } = setUp([namespace("team")], []);
    await controller.sync("team");
    expect(fake.writes()).toEqual(["create /api/v1/namespaces/team/serviceaccounts"]);
    expect(fake.actions[0]?.body).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default", namespace: "team" },
    });
  });

  test("does nothing when it exists or the namespace is not active", async () => {
    const existing = { metadata: { name: "default", namespace: "team" } };
    const { fake, controller } = setUp(
      [namespace("team"), namespace("old", "Terminating")],
      [existing],
    );
    await controller.sync("team");
    await controller.sync("old");
    await controller.sync("missing");
    expect(fake.actions).toEqual([]);
  });

  test("treats AlreadyExists as done and retries other failures", async () => {
    const { fake, controller } = setUp([namespace("team")], []);
    fake.respond = () => {
      throw apiError(409, "AlreadyExists");
    };
    await controller.sync("team");
    fake.respond = () => {
      throw apiError(403, "Forbidden");
    };
    await expect(controller.sync("team")).rejects.toThrow("Forbidden");
  });

  test("queues the namespace again when its default service account is deleted", async () => {
    const existing = { metadata: { name: "default", namespace: "team", resourceVersion: "2" } };
    const { controller } = setUp([], [existing]);
    controller.serviceAccounts.deleted(existing);
    expect(await controller.loop.queue.get()).toBe("team");
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiClient } from "../../src/client/api-client.ts";
import { Informer } from "../../src/client/informer.ts";
import { loadKubeConfig } from "../../src/client/kube-config.ts";
import { resourcePath } from "../../src/client/resource-path.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;
let client: ApiClient;
const configmaps = (namespace: string) =>
  resourcePath({ version: "v1", resource: "configmaps", namespace });
const configmap = (namespace: string, name: string) =>
  resourcePath({ version: "v1", resource: "configmaps", namespace, name });

beforeAll(async () => {
  cluster = await startCluster();
  client = new ApiClient(await loadKubeConfig(cluster.kubeconfig));
}, 60_000);
afterAll(() => cluster.stop());

/** Records handler calls and lets a test await a condition on them. */
class Recorder {
  readonly events: string[] = [];
  #checks: { ready: () => boolean; resolve: () => void }[] = [];

  record(event: string): void {
    this.events.push(event);
    this.#checks = this.#checks.filter((check) => {
      if (!check.ready()) return true;
      check.resolve();
      return false;
    });
  }

  until(ready: (events: string[]) => boolean): Promise<void> {
    if (ready(this.events)) return Promise.resolve();
    return new Promise((resolve) =>
      this.#checks.push({ ready: () => ready(this.events), resolve }),
    );
  }

  handler() {
    const name = (o: KubeObject) => o.metadata?.name ?? "";
    return {
      onAdd: (o: KubeObject) => this.record(`add ${name(o)}`),
      onUpdate: (_: KubeObject, o: KubeObject) => this.record(`update ${name(o)}`),
      onDelete: (o: KubeObject) => this.record(`delete ${name(o)}`),
    };
  }
}

const newInformer = (namespace: string, onError?: (error: unknown) => void) =>
  new Informer(client, {
    path: configmaps(namespace),
    // Every namespace also gets the cluster's kube-root-ca.crt: not this test's business.
    fieldSelector: "metadata.name!=kube-root-ca.crt",
    backoff: { initialMs: 20, maxMs: 500 },
    ...(onError ? { onError } : {}),
  });

/** A guard against a hung server, not a performance bound: a restart can take seconds. */
const hangGuardMs = 60_000;

describe("Informer", () => {
  test(
    "syncs the existing objects, then follows adds, updates and deletes",
    async () => {
      await client.create(resourcePath({ version: "v1", resource: "namespaces" }), {
        metadata: { name: "inf-a" },
      });
      await client.create(configmaps("inf-a"), { metadata: { name: "before" } });
      const informer = newInformer("inf-a");
      const recorder = new Recorder();
      informer.addEventHandler(recorder.handler());
      expect(informer.hasSynced()).toBe(false);
      informer.start();
      await informer.waitForSync();
      expect(informer.hasSynced()).toBe(true);
      expect(informer.store.get("inf-a/before")?.metadata?.name).toBe("before");
      expect(informer.store.byIndex("namespace", "inf-a")).toHaveLength(1);

      await client.create(configmaps("inf-a"), { metadata: { name: "after" } });
      await client.patch(configmap("inf-a", "after"), { data: { k: "v" } });
      await client.delete(configmap("inf-a", "before"));
      await recorder.until((e) => e.includes("delete before") && e.includes("update after"));
      expect(recorder.events).toEqual(["add before", "add after", "update after", "delete before"]);
      expect(informer.store.keys()).toEqual(["inf-a/after"]);
      expect((informer.store.get("inf-a/after") as { data?: unknown }).data).toEqual({ k: "v" });
      await informer.stop();
    },
    hangGuardMs,
  );

  test(
    "keeps delivering to one listener while another is slow",
    async () => {
      await client.create(resourcePath({ version: "v1", resource: "namespaces" }), {
        metadata: { name: "inf-b" },
      });
      const informer = newInformer("inf-b");
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow = new Recorder();
      informer.addEventHandler({
        onAdd: async (o) => {
          slow.record(`add ${o.metadata?.name}`);
          await released;
        },
      });
      const fast = new Recorder();
      informer.addEventHandler(fast.handler());
      informer.start();
      await informer.waitForSync();
      for (const name of ["s1", "s2", "s3"]) {
        await client.create(configmaps("inf-b"), { metadata: { name } });
      }
      await fast.until((e) => e.length === 3);
      expect(fast.events).toEqual(["add s1", "add s2", "add s3"]);
      expect(slow.events).toEqual(["add s1"]);
      release();
      await slow.until((e) => e.length === 3);
      expect(slow.events).toEqual(["add s1", "add s2", "add s3"]);
      await informer.stop();
    },
    hangGuardMs,
  );

  test(
    "recovers after the server restarts and sees later changes",
    async () => {
      await client.create(resourcePath({ version: "v1", resource: "namespaces" }), {
        metadata: { name: "inf-c" },
      });
      const errors: unknown[] = [];
      const informer = newInformer("inf-c", (error) => errors.push(error));
      const recorder = new Recorder();
      informer.addEventHandler(recorder.handler());
      informer.start();
      await informer.waitForSync();
      await client.create(configmaps("inf-c"), { metadata: { name: "before-restart" } });
      await recorder.until((e) => e.includes("add before-restart"));

      await cluster.restart();
      await client.create(configmaps("inf-c"), { metadata: { name: "after-restart" } });
      await recorder.until((e) => e.includes("add after-restart"));
      expect(informer.store.keys().sort()).toEqual(["inf-c/after-restart", "inf-c/before-restart"]);
      expect(recorder.events.filter((e) => e === "add before-restart")).toHaveLength(1);
      // The dropped watch is an error the reflector recovered from; whether it
      // also relisted depends on whether the restarted server still serves the
      // old resourceVersion or answers 410.
      expect(errors.length).toBeGreaterThan(0);
      expect(informer.reflector.listCount).toBeGreaterThanOrEqual(1);
      await informer.stop();
    },
    hangGuardMs,
  );
});

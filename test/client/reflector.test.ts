import { describe, expect, test } from "bun:test";
import type { KubeList, WatchEvent } from "../../src/client/api-client.ts";
import { Informer } from "../../src/client/informer.ts";
import type { ListerWatcher } from "../../src/client/reflector.ts";
import type { KubeObject } from "../../src/resources/kind.ts";

const object = (name: string, resourceVersion: string): KubeObject => ({
  metadata: { namespace: "ns", name, resourceVersion },
});

/** A server whose first watch answers 410 Expired and whose second list has moved on. */
function expiringServer() {
  const lists: KubeList[] = [
    { metadata: { resourceVersion: "5" }, items: [object("a", "5")] },
    { metadata: { resourceVersion: "9" }, items: [object("b", "9")] },
  ];
  const watchedFrom: string[] = [];
  let listed = 0;
  const server: ListerWatcher = {
    list: async <T extends KubeObject>() => lists[listed++] as KubeList<T>,
    watch: async function* <T extends KubeObject>(
      _path: string,
      options: { resourceVersion?: string; signal?: AbortSignal } = {},
    ): AsyncGenerator<WatchEvent<T>, void, undefined> {
      watchedFrom.push(options.resourceVersion ?? "");
      if (watchedFrom.length === 1) {
        yield { type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } };
        return;
      }
      const signal = options.signal;
      await new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve()));
    },
  } as ListerWatcher;
  return { server, watchedFrom };
}

describe("Reflector", () => {
  test("lists again after a 410 ERROR event and replaces the cache", async () => {
    const { server, watchedFrom } = expiringServer();
    const informer = new Informer(server, { path: "/api/v1/configmaps" });
    const events: string[] = [];
    let relisted: () => void = () => {};
    const relistDelivered = new Promise<void>((resolve) => {
      relisted = resolve;
    });
    informer.addEventHandler({
      onAdd: (o) => {
        events.push(`add ${o.metadata?.name}`);
      },
      onDelete: (o) => {
        events.push(`delete ${o.metadata?.name}`);
        // The relist's last notification: the object that vanished meanwhile.
        relisted();
      },
    });
    informer.start();
    await relistDelivered;
    expect(informer.reflector.listCount).toBe(2);
    expect(watchedFrom).toEqual(["5", "9"]);
    expect(informer.store.keys()).toEqual(["ns/b"]);
    expect(events).toEqual(["add a", "add b", "delete a"]);
    await informer.stop();
  });
});

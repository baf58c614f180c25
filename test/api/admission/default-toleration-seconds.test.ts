import { describe, expect, test } from "bun:test";
import { DefaultTolerationSeconds } from "../../../src/api/admission/default-toleration-seconds.ts";
import { kinds, pod, request } from "./support.ts";

const notReady = {
  key: "node.kubernetes.io/not-ready",
  operator: "Exists",
  effect: "NoExecute",
  tolerationSeconds: 300,
};
const unreachable = { ...notReady, key: "node.kubernetes.io/unreachable" };

async function tolerationsAfter(
  tolerations: unknown[] | undefined,
  plugin = new DefaultTolerationSeconds(),
) {
  const object = pod("p", tolerations ? { tolerations, containers: [] } : { containers: [] });
  await plugin.mutate(request(kinds.pods, object));
  return (object.spec as { tolerations?: unknown[] }).tolerations;
}

describe("DefaultTolerationSeconds", () => {
  test("adds both tolerations to a pod without any", async () => {
    expect(await tolerationsAfter(undefined)).toEqual([notReady, unreachable]);
  });

  test("keeps a pod's own NoExecute toleration for a key", async () => {
    const own = {
      key: "node.kubernetes.io/not-ready",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 10,
    };
    expect(await tolerationsAfter([own])).toEqual([own, unreachable]);
  });

  test("an empty key and effect tolerate everything already", async () => {
    const all = { operator: "Exists" };
    expect(await tolerationsAfter([all])).toEqual([all]);
  });

  test("a toleration with another effect does not count", async () => {
    const schedule = {
      key: "node.kubernetes.io/unreachable",
      operator: "Exists",
      effect: "NoSchedule",
    };
    expect(await tolerationsAfter([schedule])).toEqual([schedule, notReady, unreachable]);
  });

  test("the seconds can be configured per taint", async () => {
    const plugin = new DefaultTolerationSeconds({ notReadySeconds: 60, unreachableSeconds: 120 });
    expect(await tolerationsAfter(undefined, plugin)).toEqual([
      { ...notReady, tolerationSeconds: 60 },
      { ...unreachable, tolerationSeconds: 120 },
    ]);
  });

  test("other kinds, subresources and deletes are left alone", async () => {
    const plugin = new DefaultTolerationSeconds();
    const object = pod("p", { containers: [] });
    await plugin.mutate(
      request(kinds.pods, object, { subresource: "status", operation: "UPDATE" }),
    );
    await plugin.mutate(request(kinds.pods, object, { operation: "DELETE" }));
    const service = { metadata: { name: "s", namespace: "ns" }, spec: {} };
    await plugin.mutate(request(kinds.services, service));
    expect(object.spec).toEqual({ containers: [] });
    expect(service.spec).toEqual({});
  });
});

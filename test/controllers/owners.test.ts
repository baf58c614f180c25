import { describe, expect, test } from "bun:test";
import {
  byControllerUid,
  byNodeName,
  controllerRef,
  EXPECTATIONS_TIMEOUT_MS,
  Expectations,
  isControlledBy,
  podFromTemplate,
} from "../../src/controllers/owners.ts";
import type { KubeObject } from "../../src/resources/kind.ts";

const owner: KubeObject = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web-abc", namespace: "shop", uid: "rs-1" },
};

describe("controller references", () => {
  test("a pod from a template carries the template and the owner as controller", () => {
    const template = {
      metadata: { labels: { app: "web" }, annotations: { a: "1" } },
      spec: { containers: [{ name: "c", image: "nginx" }] },
    };
    const pod = podFromTemplate(template, owner);
    expect(pod.metadata).toEqual({
      generateName: "web-abc-",
      namespace: "shop",
      labels: { app: "web" },
      annotations: { a: "1" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web-abc",
          uid: "rs-1",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(pod.spec).toEqual(template.spec);
    expect(pod.spec).not.toBe(template.spec);
    expect(isControlledBy(pod, owner)).toBe(true);
    expect(byControllerUid(pod)).toEqual(["rs-1"]);
  });

  test("a fixed name and extra labels override the generated name and merge", () => {
    const pod = podFromTemplate({ metadata: { labels: { app: "db" } } }, owner, {
      name: "db-0",
      labels: { ordinal: "0" },
    });
    expect(pod.metadata?.name).toBe("db-0");
    expect(pod.metadata?.generateName).toBeUndefined();
    expect(pod.metadata?.labels).toEqual({ app: "db", ordinal: "0" });
  });

  test("pods are indexed by the node they are bound to", () => {
    expect(byNodeName({ spec: { nodeName: "n1" } })).toEqual(["n1"]);
    expect(byNodeName({ spec: { nodeName: "" } })).toEqual([]);
    expect(byNodeName({ metadata: { name: "cm" } })).toEqual([]);
  });

  test("an owner reference without controller: true is not a controller", () => {
    const pod: KubeObject = {
      metadata: { ownerReferences: [{ ...controllerRef(owner), controller: false }] },
    };
    expect(isControlledBy(pod, owner)).toBe(false);
    expect(byControllerUid(pod)).toEqual([]);
  });
});

describe("Expectations", () => {
  test("unsatisfied until every expected creation and deletion is observed", () => {
    const expectations = new Expectations();
    expect(expectations.satisfied("ns/a")).toBe(true);
    expectations.expect("ns/a", 2, 1);
    expect(expectations.satisfied("ns/a")).toBe(false);
    expectations.creationObserved("ns/a");
    expectations.deletionObserved("ns/a");
    expect(expectations.satisfied("ns/a")).toBe(false);
    expectations.creationFailed("ns/a");
    expect(expectations.satisfied("ns/a")).toBe(true);
  });

  test("expire after the timeout so a lost event cannot stall a controller", () => {
    let now = 1_000;
    const expectations = new Expectations(() => now);
    expectations.expect("ns/a", 1, 0);
    now += EXPECTATIONS_TIMEOUT_MS;
    expect(expectations.satisfied("ns/a")).toBe(false);
    now += 1;
    expect(expectations.satisfied("ns/a")).toBe(true);
  });
});

import { describe, expect, test } from "bun:test";
import { LIMIT_RANGER_ANNOTATION, LimitRanger } from "../../../src/api/admission/limit-ranger.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { kinds, MemoryReader, pod, rejection, request } from "./support.ts";

const LIMIT_RANGES = { group: "", resource: "limitranges" };

function limitRange(...limits: Record<string, unknown>[]): KubeObject {
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: `lr-${Math.random()}`, namespace: "ns" },
    spec: { limits },
  };
}

function ranger(...ranges: KubeObject[]): LimitRanger {
  return new LimitRanger(new MemoryReader().add(LIMIT_RANGES, ...ranges));
}

function container(name: string, resources?: Record<string, unknown>) {
  return resources ? { name, resources } : { name };
}

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
function resourcesOf(object: KubeObject, index = 0): Resources | undefined {
  const spec = object.spec as { containers: { resources?: Resources }[] };
  return spec.containers[index]?.resources;
}

describe("LimitRanger defaults", () => {
  const defaults = limitRange({
    type: "Container",
    default: { cpu: "500m", memory: "256Mi" },
    defaultRequest: { cpu: "100m", memory: "128Mi" },
  });

  test("fill missing requests and limits and record what they set", async () => {
    const object = pod("p", { containers: [container("c1")] });
    await ranger(defaults).mutate(request(kinds.pods, object));
    expect(resourcesOf(object)).toEqual({
      limits: { cpu: "500m", memory: "256Mi" },
      requests: { cpu: "100m", memory: "128Mi" },
    });
    expect(object.metadata?.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe(
      "LimitRanger plugin set: cpu, memory request for container c1; cpu, memory limit for container c1",
    );
  });

  test("a container that sets only a limit requests that limit, not the default request", async () => {
    const object = pod("p", { containers: [container("c1", { limits: { cpu: "2" } })] });
    await ranger(defaults).mutate(request(kinds.pods, object));
    expect(resourcesOf(object)).toEqual({
      limits: { cpu: "2", memory: "256Mi" },
      requests: { cpu: "2", memory: "128Mi" },
    });
  });

  test("init containers are defaulted and named as such", async () => {
    const object = pod("p", {
      containers: [
        container("c1", {
          requests: { cpu: "1", memory: "1Gi" },
          limits: { cpu: "1", memory: "1Gi" },
        }),
      ],
      initContainers: [container("init")],
    });
    await ranger(defaults).mutate(request(kinds.pods, object));
    expect(object.metadata?.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe(
      "LimitRanger plugin set: cpu, memory request for init container init; cpu, memory limit for init container init",
    );
  });

  test("nothing changes without a LimitRange, or on update", async () => {
    const bare = pod("p", { containers: [container("c1")] });
    await ranger().mutate(request(kinds.pods, bare));
    expect(resourcesOf(bare)).toBeUndefined();
    const updated = pod("p", { containers: [container("c1")] });
    await ranger(defaults).mutate(
      request(kinds.pods, updated, { operation: "UPDATE", oldObject: updated }),
    );
    expect(resourcesOf(updated)).toBeUndefined();
  });

  test("a LimitRange without container defaults adds no empty lists", async () => {
    const object = pod("p", { containers: [container("c1")] });
    await ranger(limitRange({ type: "Pod", max: { cpu: "4" } })).mutate(
      request(kinds.pods, object),
    );
    expect(resourcesOf(object)).toBeUndefined();
    expect(object.metadata?.annotations).toBeUndefined();
  });
});

describe("LimitRanger validation", () => {
  async function denial(range: KubeObject, object: KubeObject, kind = kinds.pods) {
    return (await rejection(ranger(range).validate(request(kind, object)))).message;
  }

  test("container maximum", async () => {
    const object = pod("p", {
      containers: [container("c1", { requests: { cpu: "1" }, limits: { cpu: "2" } })],
    });
    expect(await denial(limitRange({ type: "Container", max: { cpu: "1" } }), object)).toBe(
      'pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
  });

  test("container minimum", async () => {
    const object = pod("p", {
      containers: [container("c1", { requests: { memory: "32Mi" }, limits: { memory: "1Gi" } })],
    });
    expect(await denial(limitRange({ type: "Container", min: { memory: "64Mi" } }), object)).toBe(
      'pods "p" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi',
    );
  });

  test("missing request or limit", async () => {
    const object = pod("p", { containers: [container("c1")] });
    expect(
      await denial(
        limitRange({ type: "Container", min: { cpu: "100m" }, max: { cpu: "1" } }),
        object,
      ),
    ).toBe(
      'pods "p" is forbidden: [minimum cpu usage per Container is 100m.  No request is specified, maximum cpu usage per Container is 1.  No limit is specified]',
    );
  });

  test("limit to request ratio", async () => {
    const object = pod("p", {
      containers: [container("c1", { requests: { cpu: "100m" }, limits: { cpu: "500m" } })],
    });
    expect(
      await denial(limitRange({ type: "Container", maxLimitRequestRatio: { cpu: "2" } }), object),
    ).toBe(
      'pods "p" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000',
    );
    const within = pod("q", {
      containers: [container("c1", { requests: { cpu: "250m" }, limits: { cpu: "500m" } })],
    });
    await ranger(limitRange({ type: "Container", maxLimitRequestRatio: { cpu: "2" } })).validate(
      request(kinds.pods, within),
    );
  });

  test("pod totals sum the containers", async () => {
    const each = { requests: { memory: "600Mi" }, limits: { memory: "600Mi" } };
    const object = pod("p", { containers: [container("a", each), container("b", each)] });
    expect(await denial(limitRange({ type: "Pod", max: { memory: "1Gi" } }), object)).toBe(
      'pods "p" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1200Mi',
    );
  });

  test("claims are bounded on their storage request", async () => {
    const claim: KubeObject = {
      metadata: { name: "data", namespace: "ns" },
      spec: { resources: { requests: { storage: "500Mi" } } },
    };
    const range = limitRange({
      type: "PersistentVolumeClaim",
      min: { storage: "1Gi" },
      max: { storage: "10Gi" },
    });
    expect(await denial(range, claim, kinds.claims)).toBe(
      'persistentvolumeclaims "data" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi',
    );
    const big: KubeObject = {
      metadata: { name: "big", namespace: "ns" },
      spec: { resources: { requests: { storage: "20Gi" } } },
    };
    expect(await denial(range, big, kinds.claims)).toEndWith(
      "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi",
    );
  });

  test("pods within bounds, pod updates and claims being deleted pass", async () => {
    const range = limitRange({ type: "Container", max: { cpu: "1" } });
    const ok = pod("p", {
      containers: [container("c1", { requests: { cpu: "1" }, limits: { cpu: "1" } })],
    });
    await ranger(range).validate(request(kinds.pods, ok));
    const big = pod("q", { containers: [container("c1", { limits: { cpu: "2" } })] });
    await ranger(range).validate(request(kinds.pods, big, { operation: "UPDATE", oldObject: big }));
    const claimRange = limitRange({ type: "PersistentVolumeClaim", min: { storage: "1Gi" } });
    const claim: KubeObject = {
      metadata: { name: "c", namespace: "ns" },
      spec: { resources: { requests: { storage: "1Mi" } } },
    };
    const deleting: KubeObject = {
      ...claim,
      metadata: { ...claim.metadata, deletionTimestamp: "2024-01-01T00:00:00Z" },
    };
    await ranger(claimRange).validate(
      request(kinds.claims, claim, { operation: "UPDATE", oldObject: deleting }),
    );
    // The same claim update without the deletion is refused.
    await rejection(
      ranger(claimRange).validate(
        request(kinds.claims, claim, { operation: "UPDATE", oldObject: claim }),
      ),
    );
  });
});

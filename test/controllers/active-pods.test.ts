import { describe, expect, test } from "bun:test";
import {
  isPodActive,
  isPodAvailable,
  type Pod,
  podsToDelete,
} from "../../src/controllers/active-pods.ts";

const NOW = new Date("2030-01-01T01:00:00Z");

function pod(
  name: string,
  options: {
    node?: string;
    ready?: string;
    created?: string;
    restarts?: number;
    cost?: string;
    phase?: string;
  } = {},
): Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: options.created ?? "2030-01-01T00:00:00Z",
      ...(options.cost
        ? { annotations: { "controller.kubernetes.io/pod-deletion-cost": options.cost } }
        : {}),
    },
    spec: { nodeName: options.node ?? "node-a" },
    status: {
      phase: options.phase ?? "Running",
      conditions: options.ready
        ? [{ type: "Ready", status: "True", lastTransitionTime: options.ready }]
        : [],
      containerStatuses: [{ restartCount: options.restarts ?? 0 }],
    },
  };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name);

describe("podsToDelete", () => {
  test("takes lower deletion cost first, then pods doubled up on a node", () => {
    const ready = "2030-01-01T00:00:00Z";
    const pods = [
      pod("alone", { node: "b", ready }),
      pod("crowded", { node: "a", ready }),
      pod("cheap", { node: "c", ready, cost: "-10" }),
    ];
    const related = [...pods, pod("sibling", { node: "a", ready })];
    expect(names(podsToDelete(pods, related, 2, NOW))).toEqual(["cheap", "crowded"]);
  });

  test("among equally ready pods, more restarts go first, then the newer", () => {
    const ready = "2030-01-01T00:00:00Z";
    const pods = [
      pod("old", { ready, created: "2030-01-01T00:00:00Z" }),
      pod("restarting", { ready, restarts: 3 }),
      pod("new", { ready, created: "2030-01-01T00:59:59Z" }),
    ];
    expect(names(podsToDelete(pods, [], 2, NOW))).toEqual(["restarting", "new"]);
  });

  test("deleting all needs no ranking", () => {
    const pods = [pod("a"), pod("b")];
    expect(names(podsToDelete(pods, [], 5, NOW))).toEqual(["a", "b"]);
  });
});

describe("pod predicates", () => {
  test("terminal and terminating pods are not active", () => {
    expect(isPodActive(pod("a"))).toBe(true);
    expect(isPodActive(pod("a", { phase: "Succeeded" }))).toBe(false);
    expect(isPodActive(pod("a", { phase: "Failed" }))).toBe(false);
    const going = pod("a");
    if (going.metadata) going.metadata.deletionTimestamp = "2030-01-01T00:00:00Z";
    expect(isPodActive(going)).toBe(false);
  });

  test("a pod is available once ready for longer than minReadySeconds", () => {
    const p = pod("a", { ready: "2030-01-01T00:59:00Z" });
    expect(isPodAvailable(p, 0, NOW)).toBe(true);
    expect(isPodAvailable(p, 59, NOW)).toBe(true);
    expect(isPodAvailable(p, 60, NOW)).toBe(false);
    expect(isPodAvailable(pod("b"), 0, NOW)).toBe(false);
  });
});

import { describe, expect, test } from "bun:test";
import type { Pod } from "../../src/controllers/active-pods.ts";
import {
  isStatusCurrent,
  type ReplicaSet,
  replicaSetStatus,
} from "../../src/controllers/replica-set-status.ts";

const NOW = new Date("2030-01-01T00:10:00Z");

function replicaSet(replicas: number, minReadySeconds = 0): ReplicaSet {
  return {
    metadata: { name: "web", namespace: "ns", generation: 2 },
    spec: {
      replicas,
      minReadySeconds,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web", tier: "front" } } },
    },
    status: { replicas: 0 },
  };
}

function pod(name: string, labels: Record<string, string>, ready?: string): Pod {
  return {
    metadata: { name, labels },
    status: {
      phase: "Running",
      conditions: ready ? [{ type: "Ready", status: "True", lastTransitionTime: ready }] : [],
    },
  };
}

const full = { app: "web", tier: "front" };

describe("replicaSetStatus", () => {
  test("counts fully labelled, ready and available (minReadySeconds) pods", () => {
    const pods = [
      pod("long-ready", full, "2030-01-01T00:00:00Z"),
      pod("just-ready", full, "2030-01-01T00:09:30Z"),
      pod("not-ready", full),
      pod("half-labelled", { app: "web" }, "2030-01-01T00:00:00Z"),
    ];
    expect(replicaSetStatus(replicaSet(4, 60), pods, undefined, NOW)).toEqual({
      replicas: 4,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 2,
    });
  });

  test("adds a ReplicaFailure condition when managing fails and clears it once it succeeds", () => {
    const failing = replicaSetStatus(replicaSet(2), [], new Error("quota exceeded"), NOW);
    expect(failing.conditions).toEqual([
      {
        type: "ReplicaFailure",
        status: "True",
        lastTransitionTime: "2030-01-01T00:10:00Z",
        reason: "FailedCreate",
        message: "quota exceeded",
      },
    ]);
    const rs = replicaSet(2);
    rs.status = failing;
    expect(replicaSetStatus(rs, [], undefined, NOW).conditions).toBeUndefined();
  });

  test("a status is current only with the same counters at the current generation", () => {
    const rs = replicaSet(1);
    rs.status = { replicas: 1, readyReplicas: 1, observedGeneration: 2 };
    expect(isStatusCurrent(rs, { replicas: 1, readyReplicas: 1 })).toBe(true);
    expect(isStatusCurrent(rs, { replicas: 1 })).toBe(false);
    rs.status.observedGeneration = 1;
    expect(isStatusCurrent(rs, { replicas: 1, readyReplicas: 1 })).toBe(false);
  });
});

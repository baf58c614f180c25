import { describe, expect, test } from "bun:test";
import type { Pod } from "../../src/controllers/active-pods.ts";
import {
  findActiveOrLatest,
  oldPodsRunning,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  type Scaler,
  scaleDownOldForRecreate,
  scaleReplicaSets,
} from "../../src/controllers/deployment-rollout.ts";
import type { Deployment } from "../../src/controllers/deployment-util.ts";
import type { ReplicaSet } from "../../src/controllers/replica-set-status.ts";

function deployment(
  replicas: number,
  rollingUpdate: { maxSurge?: number | string; maxUnavailable?: number | string } = {
    maxSurge: "25%",
    maxUnavailable: "25%",
  },
): Deployment {
  return {
    metadata: { name: "web", generation: 1 },
    spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate } },
  };
}

function rs(
  name: string,
  replicas: number,
  available = replicas,
  extra: { created?: string; maxReplicas?: number } = {},
): ReplicaSet {
  return {
    metadata: {
      name,
      uid: name,
      creationTimestamp: extra.created ?? "2030-01-01T00:00:00Z",
      annotations:
        extra.maxReplicas !== undefined
          ? { "deployment.kubernetes.io/max-replicas": String(extra.maxReplicas) }
          : {},
    },
    spec: { replicas },
    status: { replicas, availableReplicas: available },
  };
}

/** A Scaler that records "name=replicas" for each write. */
function recorder(): Scaler & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async scale(target, replicas) {
      calls.push(`${target.metadata?.name}=${replicas}`);
      const updated = structuredClone(target);
      updated.spec = { ...updated.spec, replicas };
      return { scaled: replicas !== target.spec?.replicas, rs: updated };
    },
  };
}

describe("rolling update", () => {
  test("surges the new ReplicaSet first and scales the old down only once the new pods are available", async () => {
    const d = deployment(3);
    const old = rs("old", 3);
    const scaler = recorder();
    const fresh = rs("new", 0);
    expect(await reconcileNewReplicaSet(d, [old, fresh], fresh, scaler)).toBe(true);
    expect(scaler.calls).toEqual(["new=1"]);

    const starting = rs("new", 1, 0);
    expect(await reconcileNewReplicaSet(d, [old, starting], starting, scaler)).toBe(false);
    expect(await reconcileOldReplicaSets(d, [old, starting], [old], starting, scaler)).toBe(false);

    const up = rs("new", 1, 1);
    expect(await reconcileOldReplicaSets(d, [old, up], [old], up, scaler)).toBe(true);
    expect(scaler.calls).toEqual(["new=1", "old=2"]);
  });

  test("unavailable old replicas are removed first, within the budget", async () => {
    const d = deployment(3, { maxSurge: 1, maxUnavailable: 1 });
    const old = rs("old", 3, 1);
    const fresh = rs("new", 1, 0);
    const scaler = recorder();
    expect(await reconcileOldReplicaSets(d, [old, fresh], [old], fresh, scaler)).toBe(true);
    expect(scaler.calls).toEqual(["old=2"]);
  });

  test("the oldest ReplicaSets are scaled down first", async () => {
    const d = deployment(4, { maxSurge: 0, maxUnavailable: 2 });
    const older = rs("older", 2, 2, { created: "2030-01-01T00:00:00Z" });
    const newer = rs("newer", 2, 2, { created: "2030-01-01T00:05:00Z" });
    const fresh = rs("new", 0, 0);
    const scaler = recorder();
    await reconcileOldReplicaSets(d, [newer, older, fresh], [newer, older], fresh, scaler);
    expect(scaler.calls).toEqual(["older=0"]);
  });
});

describe("scaleReplicaSets", () => {
  test("spreads a resize mid-rollout in proportion, the larger ReplicaSet first", async () => {
    // The documentation's example: 10 replicas, maxSurge 3, rollout stuck at 8 old + 5 new,
    // scaled to 15: the old ReplicaSet gets 3 of the 5 new replicas, the new one 2.
    const d = deployment(15, { maxSurge: 3, maxUnavailable: 2 });
    const old = rs("old", 8, 8, { maxReplicas: 13 });
    const fresh = rs("new", 5, 0, { maxReplicas: 13, created: "2030-01-01T00:05:00Z" });
    const scaler = recorder();
    await scaleReplicaSets(d, fresh, [old], scaler);
    expect(scaler.calls).toEqual(["old=11", "new=7"]);
  });

  test("scaling down takes the most from the larger ReplicaSet", async () => {
    const d = deployment(5, { maxSurge: 1, maxUnavailable: 0 });
    const old = rs("old", 4, 4, { maxReplicas: 11 });
    const fresh = rs("new", 7, 0, { maxReplicas: 11, created: "2030-01-01T00:05:00Z" });
    const scaler = recorder();
    await scaleReplicaSets(d, fresh, [old], scaler);
    // Allowed 6 of 11: the new one (larger) keeps round(7*6/11)=4, the old round(4*6/11)=2.
    expect(scaler.calls).toEqual(["new=4", "old=2"]);
  });

  test("a single active ReplicaSet takes the whole size; a saturated new one empties the old", async () => {
    const scaler = recorder();
    await scaleReplicaSets(deployment(7), rs("new", 3), [rs("old", 0)], scaler);
    expect(scaler.calls).toEqual(["new=7"]);

    const saturated = rs("new", 4);
    saturated.metadata = {
      ...saturated.metadata,
      annotations: { "deployment.kubernetes.io/desired-replicas": "4" },
    };
    const both = recorder();
    await scaleReplicaSets(deployment(4), saturated, [rs("old", 2)], both);
    expect(both.calls).toEqual(["old=0"]);
  });

  test("with nothing active the newest ReplicaSet is the one to scale", () => {
    const older = rs("older", 0, 0, { created: "2030-01-01T00:00:00Z" });
    const newer = rs("newer", 0, 0, { created: "2030-01-01T00:05:00Z" });
    expect(findActiveOrLatest(undefined, [older, newer])?.metadata?.name).toBe("newer");
    expect(findActiveOrLatest(rs("new", 0), [older])?.metadata?.name).toBe("new");
    expect(findActiveOrLatest(rs("new", 1), [rs("old", 1)])).toBeUndefined();
  });
});

describe("recreate", () => {
  test("old ReplicaSets go to zero, and new pods wait until no old pod runs", async () => {
    const scaler = recorder();
    expect(await scaleDownOldForRecreate([rs("a", 2), rs("b", 0)], scaler)).toBe(true);
    expect(scaler.calls).toEqual(["a=0"]);

    const empty = rs("a", 0);
    const running: Pod = { metadata: { name: "p" }, status: { phase: "Running" } };
    const done: Pod = { metadata: { name: "q" }, status: { phase: "Succeeded" } };
    expect(oldPodsRunning(undefined, [empty], new Map([["a", [running]]]))).toBe(true);
    expect(oldPodsRunning(undefined, [empty], new Map([["a", [done]]]))).toBe(false);
    expect(oldPodsRunning(rs("a", 1), [], new Map([["a", [running]]]))).toBe(false);
  });
});

import { describe, expect, test } from "bun:test";
import {
  assessNodeHealth,
  noScheduleTaintChanges,
  swappedTaints,
  TokenBucket,
  zoneKey,
  zoneState,
} from "../../src/controllers/node-health.ts";
import type { KubeObject } from "../../src/resources/kind.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const at = (seconds: number) => T0 + seconds * 1000;
const stamp = (seconds: number) => new Date(at(seconds)).toISOString().replace(/\.\d+Z$/, "Z");
const options = { gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 };

function node(
  conditions: Record<string, unknown>[],
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    metadata: { name: "n1", creationTimestamp: stamp(-100) },
    spec,
    status: { conditions },
  };
}

const ready = (status: string, heartbeat = stamp(-5)) => ({
  type: "Ready",
  status,
  reason: "KubeletReady",
  message: "kubelet is posting ready status",
  lastHeartbeatTime: heartbeat,
  lastTransitionTime: stamp(-90),
});
const memory = {
  type: "MemoryPressure",
  status: "False",
  reason: "KubeletHasSufficientMemory",
  lastHeartbeatTime: stamp(-5),
  lastTransitionTime: stamp(-90),
};

describe("assessNodeHealth", () => {
  test("a node seen for the first time gets a whole grace period from now", () => {
    const first = assessNodeHealth(
      node([ready("True", stamp(-3600))]),
      undefined,
      undefined,
      at(0),
      options,
    );
    expect(first.conditions).toBeUndefined();
    expect(first.health.probeTimestamp).toBe(at(0));
    expect(first.currentReady?.status).toBe("True");
  });

  test("past the grace period without a sign of life, the conditions turn Unknown", () => {
    const n = node([ready("True"), memory]);
    const first = assessNodeHealth(n, undefined, "lease-1", at(0), options);
    expect(
      assessNodeHealth(n, first.health, "lease-1", at(40), options).conditions,
    ).toBeUndefined();
    const late = assessNodeHealth(n, first.health, "lease-1", at(41), options);
    expect(late.observedReady.status).toBe("True");
    expect(late.currentReady).toMatchObject({
      status: "Unknown",
      reason: "NodeStatusUnknown",
      message: "Kubelet stopped posting node status.",
      lastHeartbeatTime: stamp(-5),
      lastTransitionTime: stamp(41),
    });
    expect(late.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual([
      "Ready=Unknown:NodeStatusUnknown",
      "MemoryPressure=Unknown:NodeStatusUnknown",
      "DiskPressure=Unknown:NodeStatusNeverUpdated",
      "PIDPressure=Unknown:NodeStatusNeverUpdated",
    ]);
  });

  test("a renewed Lease or a new Ready heartbeat keeps the node alive", () => {
    const n = node([ready("True")]);
    const first = assessNodeHealth(n, undefined, "lease-1", at(0), options);
    const renewed = assessNodeHealth(n, first.health, "lease-2", at(30), options);
    expect(
      assessNodeHealth(n, renewed.health, "lease-2", at(60), options).conditions,
    ).toBeUndefined();
    const beaten = node([ready("True", stamp(50))]);
    const beat = assessNodeHealth(beaten, renewed.health, "lease-2", at(65), options);
    expect(
      assessNodeHealth(beaten, beat.health, "lease-2", at(100), options).conditions,
    ).toBeUndefined();
    expect(
      assessNodeHealth(beaten, beat.health, "lease-2", at(106), options).conditions,
    ).toBeDefined();
  });

  test("a node that never posted a status is judged from its creation with the start-up grace", () => {
    const bare = node([]);
    const first = assessNodeHealth(bare, undefined, undefined, at(0), options);
    // Created 100 s ago: past the 60 s start-up grace at once.
    expect(first.conditions?.[0]).toMatchObject({
      type: "Ready",
      status: "Unknown",
      reason: "NodeStatusNeverUpdated",
      message: "Kubelet never posted node status.",
      lastHeartbeatTime: stamp(-100),
    });
    expect(first.observedReady.status).toBe("Unknown");
  });

  test("a node whose Ready is already Unknown is not written again", () => {
    const unknown = node([{ ...ready("Unknown"), reason: "NodeStatusUnknown" }]);
    const first = assessNodeHealth(unknown, undefined, undefined, at(0), options);
    const later = assessNodeHealth(unknown, first.health, undefined, at(100), options);
    expect(later.currentReady?.status).toBe("Unknown");
    expect(later.conditions).toBeUndefined();
  });
});

describe("noScheduleTaintChanges", () => {
  test("conditions and cordoning call for NoSchedule taints", () => {
    const changes = noScheduleTaintChanges(
      node([ready("False"), { ...memory, status: "True" }], { unschedulable: true }),
    );
    expect(changes.add.map((t) => `${t.key}:${t.effect}`)).toEqual([
      "node.kubernetes.io/not-ready:NoSchedule",
      "node.kubernetes.io/memory-pressure:NoSchedule",
      "node.kubernetes.io/unschedulable:NoSchedule",
    ]);
    expect(changes.remove).toEqual([]);
  });

  test("lifts taints that no longer apply and leaves other taints alone", () => {
    const taints = [
      { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
      { key: "dedicated", value: "db", effect: "NoSchedule" },
    ];
    const changes = noScheduleTaintChanges(node([ready("True")], { taints }));
    expect(changes).toEqual({
      add: [],
      remove: [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }],
    });
  });

  test("swappedTaints stamps what it adds and reports no change as undefined", () => {
    const now = new Date(at(0));
    const kept = [{ key: "dedicated", effect: "NoSchedule" }];
    expect(swappedTaints(kept, [], [{ key: "x", effect: "NoExecute" }], now)).toBeUndefined();
    expect(swappedTaints(kept, [{ key: "x", effect: "NoExecute" }], [], now)).toEqual([
      { key: "dedicated", effect: "NoSchedule" },
      { key: "x", effect: "NoExecute", timeAdded: stamp(0) },
    ]);
  });
});

describe("zones", () => {
  test("zoneState follows upstream's thresholds", () => {
    expect(zoneState(["True", "Unknown"], 0.55)).toBe("Normal");
    expect(zoneState(["Unknown", "False"], 0.55)).toBe("FullDisruption");
    expect(zoneState(["True", "Unknown", "Unknown", undefined], 0.55)).toBe("PartialDisruption");
    expect(zoneState(["True", "True", "Unknown", "Unknown", "Unknown", "True", "True"], 0.55)).toBe(
      "Normal",
    );
  });

  test("zoneKey joins region and zone labels", () => {
    const labelled: KubeObject = {
      metadata: {
        labels: { "topology.kubernetes.io/region": "r", "topology.kubernetes.io/zone": "z" },
      },
    };
    expect(zoneKey(labelled)).toBe("r:\u0000:z");
    expect(zoneKey({ metadata: {} })).toBe("");
  });

  test("TokenBucket starts full and refills at its rate", () => {
    let now = 0;
    const bucket = new TokenBucket(0.1, 1, () => now);
    expect(bucket.tryAccept()).toBe(true);
    expect(bucket.tryAccept()).toBe(false);
    now = 9_000;
    expect(bucket.tryAccept()).toBe(false);
    now = 10_001;
    expect(bucket.tryAccept()).toBe(true);
    expect(new TokenBucket(0, 1, () => now).tryAccept()).toBe(false);
  });
});

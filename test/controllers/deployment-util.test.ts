import { describe, expect, test } from "bun:test";
import {
  computeHash,
  type Deployment,
  equalIgnoreHash,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  resolveFenceposts,
  setNewReplicaSetAnnotations,
} from "../../src/controllers/deployment-util.ts";
import type { PodTemplate, ReplicaSet } from "../../src/controllers/replica-set-status.ts";

const template = (image = "nginx:1"): PodTemplate => ({
  metadata: { labels: { app: "web" } },
  spec: { containers: [{ name: "nginx", image }] },
});

function deployment(
  replicas: number,
  rolling?: { maxSurge?: number | string; maxUnavailable?: number | string },
): Deployment {
  return {
    metadata: { name: "web", namespace: "ns", uid: "d-uid", generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: template(),
      strategy: rolling
        ? { type: "RollingUpdate", rollingUpdate: rolling }
        : { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
}

const rs = (name: string, replicas: number, status: ReplicaSet["status"] = {}): ReplicaSet => ({
  metadata: { name, uid: name, annotations: {} },
  spec: { replicas, template: template() },
  status,
});

describe("surge and unavailability budgets", () => {
  test("percentages round up for surge and down for unavailability", () => {
    expect(resolveFenceposts("25%", "25%", 3)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts("25%", "25%", 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts("100%", "0%", 2)).toEqual({ surge: 2, unavailable: 0 });
    expect(resolveFenceposts(2, "50%", 5)).toEqual({ surge: 2, unavailable: 2 });
  });

  test("both rounding to zero leaves one unavailable, so a rollout can move", () => {
    expect(resolveFenceposts(0, "1%", 2)).toEqual({ surge: 0, unavailable: 1 });
  });

  test("maxUnavailable never exceeds the replicas; Recreate has no budgets", () => {
    expect(maxUnavailable(deployment(2, { maxSurge: 1, maxUnavailable: 5 }))).toBe(2);
    expect(maxUnavailable(deployment(0))).toBe(0);
    const recreate = deployment(4);
    if (recreate.spec) recreate.spec.strategy = { type: "Recreate" };
    expect(maxSurge(recreate)).toBe(0);
    expect(maxUnavailable(recreate)).toBe(0);
  });

  test("the new ReplicaSet grows within the surge, never past the Deployment", () => {
    const d = deployment(10);
    const fresh = rs("new", 0);
    expect(newRSNewReplicas(d, [rs("old", 10), fresh], fresh)).toBe(3);
    const grown = rs("new", 3);
    expect(newRSNewReplicas(d, [rs("old", 10), grown], grown)).toBe(3);
    const nearly = rs("new", 9);
    expect(newRSNewReplicas(d, [rs("old", 1), nearly], nearly)).toBe(10);
  });
});

describe("pod-template-hash", () => {
  test("is stable for a template and changes with it", () => {
    const hash = computeHash(template());
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(computeHash(template())).toBe(hash);
    expect(computeHash(template("nginx:2"))).not.toBe(hash);
    expect(computeHash(template(), 1)).not.toBe(hash);
  });

  test("ignores key order and what a client round trip adds or drops", () => {
    const roundTripped = {
      spec: { containers: [{ image: "nginx:1", name: "nginx", stdin: false, resources: {} }] },
      metadata: { creationTimestamp: null, labels: { app: "web" } },
    } as unknown as PodTemplate;
    expect(computeHash(roundTripped)).toBe(computeHash(template()));
    expect(equalIgnoreHash(roundTripped, template())).toBe(true);
  });

  test("template comparison ignores only the hash label", () => {
    const hashed = template();
    hashed.metadata = { labels: { app: "web", "pod-template-hash": "abc" } };
    expect(equalIgnoreHash(hashed, template())).toBe(true);
    expect(equalIgnoreHash(hashed, template("nginx:2"))).toBe(false);
  });
});

describe("setNewReplicaSetAnnotations", () => {
  test("a ReplicaSet rolled back to gets the next revision and remembers its old one", () => {
    const d = deployment(3);
    d.metadata = {
      ...d.metadata,
      annotations: {
        "kubernetes.io/change-cause": "undo",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "deployment.kubernetes.io/revision": "2",
      },
    };
    const old = rs("old", 0);
    old.metadata = { ...old.metadata, annotations: { "deployment.kubernetes.io/revision": "1" } };
    expect(setNewReplicaSetAnnotations(d, old, 3, true)).toBe(true);
    expect(old.metadata?.annotations).toEqual({
      "kubernetes.io/change-cause": "undo",
      "deployment.kubernetes.io/revision": "3",
      "deployment.kubernetes.io/revision-history": "1",
    });
    expect(setNewReplicaSetAnnotations(d, old, 3, true)).toBe(false);
  });

  test("a ReplicaSet about to be created gets its revision and replica annotations", () => {
    const fresh = rs("new", 0);
    setNewReplicaSetAnnotations(deployment(10), fresh, 1, false);
    expect(fresh.metadata?.annotations).toEqual({
      "deployment.kubernetes.io/revision": "1",
      "deployment.kubernetes.io/desired-replicas": "10",
      "deployment.kubernetes.io/max-replicas": "13",
    });
  });
});

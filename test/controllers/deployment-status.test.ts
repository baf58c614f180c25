import { describe, expect, test } from "bun:test";
import {
  calculateStatus,
  deploymentTimedOut,
  rolloutStatus,
} from "../../src/controllers/deployment-status.ts";
import type { Deployment } from "../../src/controllers/deployment-util.ts";
import type { ReplicaSet } from "../../src/controllers/replica-set-status.ts";

const NOW = new Date("2030-01-01T00:10:00Z");

function deployment(replicas: number): Deployment {
  return {
    metadata: { name: "web", namespace: "ns", uid: "d-uid", generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      },
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
}

const rs = (name: string, replicas: number, status: ReplicaSet["status"] = {}): ReplicaSet => ({
  metadata: { name, uid: name },
  spec: { replicas },
  status,
});

const progressing = (status: { conditions?: { type: string }[] }) =>
  status.conditions?.find((c) => c.type === "Progressing");

describe("status", () => {
  test("sums the ReplicaSets and reports availability against maxUnavailable", () => {
    const d = deployment(4);
    const newRS = rs("new", 2, { replicas: 2, readyReplicas: 2, availableReplicas: 1 });
    const oldRS = rs("old", 2, { replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    const status = calculateStatus([oldRS, newRS], newRS, d, NOW);
    expect(status).toMatchObject({
      observedGeneration: 1,
      replicas: 4,
      updatedReplicas: 2,
      readyReplicas: 4,
      availableReplicas: 3,
      unavailableReplicas: 1,
    });
    expect(status.conditions).toEqual([
      {
        type: "Available",
        status: "True",
        reason: "MinimumReplicasAvailable",
        message: "Deployment has minimum availability.",
        lastUpdateTime: "2030-01-01T00:10:00Z",
        lastTransitionTime: "2030-01-01T00:10:00Z",
      },
    ]);
    const starved = calculateStatus(
      [rs("new", 4, { replicas: 4, availableReplicas: 2 })],
      undefined,
      d,
      NOW,
    );
    expect(starved.conditions?.[0]).toMatchObject({
      status: "False",
      reason: "MinimumReplicasUnavailable",
    });
  });

  test("a rollout times out progressDeadlineSeconds after its last progress", () => {
    const d = deployment(1);
    if (d.spec) d.spec.progressDeadlineSeconds = 60;
    const at = (time: string, reason = "ReplicaSetUpdated") => ({
      conditions: [{ type: "Progressing", status: "True", reason, lastUpdateTime: time }],
    });
    expect(deploymentTimedOut(d, at("2030-01-01T00:08:59Z"), NOW)).toBe(true);
    expect(deploymentTimedOut(d, at("2030-01-01T00:09:30Z"), NOW)).toBe(false);
    expect(deploymentTimedOut(d, at("2030-01-01T00:00:00Z", "NewReplicaSetAvailable"), NOW)).toBe(
      false,
    );
  });
});

describe("rolloutStatus", () => {
  test("a rollout with new pods is progressing, one with all replicas updated and available is done", () => {
    const d = deployment(2);
    d.status = { replicas: 2, updatedReplicas: 0, availableReplicas: 2 };
    const newRS = rs("web-new", 1, { replicas: 1 });
    const moving = rolloutStatus(
      [rs("web-old", 2, { replicas: 2, availableReplicas: 2 }), newRS],
      newRS,
      d,
      NOW,
    );
    expect(progressing(moving)).toMatchObject({
      status: "True",
      reason: "ReplicaSetUpdated",
      message: 'ReplicaSet "web-new" is progressing.',
    });

    const doneRS = rs("web-new", 2, { replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    d.status = moving;
    const done = rolloutStatus([rs("web-old", 0), doneRS], doneRS, d, NOW);
    expect(done).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(progressing(done)).toMatchObject({
      status: "True",
      reason: "NewReplicaSetAvailable",
      message: 'ReplicaSet "web-new" has successfully progressed.',
    });
  });

  test("a ReplicaSet's failure to create pods shows on the Deployment", () => {
    const failing = rs("web-new", 2, {
      conditions: [
        { type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: "forbidden" },
      ],
    });
    const status = rolloutStatus([failing], failing, deployment(2), NOW);
    expect(status.conditions?.find((c) => c.type === "ReplicaFailure")).toMatchObject({
      status: "True",
      reason: "FailedCreate",
      message: "forbidden",
    });
  });
});

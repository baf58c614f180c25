import { afterEach, describe, expect, test } from "bun:test";
import {
  budgetStatus,
  countHealthy,
  DisruptionController,
  disruptedPodMap,
  expectedCounts,
  type ScaleFinder,
  scaledValue,
  staleDisruptionIn,
} from "../../src/controllers/disruption.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const NOW = Date.parse("2025-01-01T00:10:00Z");

function pod(
  name: string,
  options: {
    ready?: boolean;
    owner?: { kind: string; name: string; uid: string };
    deleting?: boolean;
  } = {},
): KubeObject {
  return {
    metadata: {
      name,
      namespace: "ns",
      uid: `uid-${name}`,
      labels: { app: "web" },
      ...(options.deleting ? { deletionTimestamp: "2025-01-01T00:09:00Z" } : {}),
      ...(options.owner
        ? {
            ownerReferences: [{ apiVersion: "apps/v1", controller: true, ...options.owner }],
          }
        : {}),
    },
    status: { conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }] },
  };
}

const rsOwner = { kind: "ReplicaSet", name: "web", uid: "rs-uid" };
const scaleOf =
  (scales: Record<string, number>): ScaleFinder =>
  (ref) =>
    scales[ref.uid] === undefined ? null : { uid: ref.uid, scale: scales[ref.uid] as number };

const budget = (
  spec: Record<string, unknown>,
  status: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name: "web", namespace: "ns", uid: "pdb-uid", generation: 2, resourceVersion: "7" },
  spec: { selector: { matchLabels: { app: "web" } }, ...spec },
  status,
});

describe("expectedCounts", () => {
  const pods = [pod("a", { owner: rsOwner }), pod("b", { owner: rsOwner })];

  test("an integer minAvailable counts the selected pods", () => {
    expect(expectedCounts(budget({ minAvailable: 2 }), pods, scaleOf({}))).toEqual({
      expectedPods: 2,
      desiredHealthy: 2,
      unmanagedPods: [],
    });
  });

  test("a percentage counts the replicas the controllers want, rounding up", () => {
    expect(expectedCounts(budget({ minAvailable: "50%" }), pods, scaleOf({ "rs-uid": 5 }))).toEqual(
      {
        expectedPods: 5,
        desiredHealthy: 3,
        unmanagedPods: [],
      },
    );
  });

  test("maxUnavailable, integer or percentage, is taken off the scale", () => {
    const scales = scaleOf({ "rs-uid": 4 });
    expect(expectedCounts(budget({ maxUnavailable: 1 }), pods, scales).desiredHealthy).toBe(3);
    expect(expectedCounts(budget({ maxUnavailable: "30%" }), pods, scales).desiredHealthy).toBe(2);
    expect(expectedCounts(budget({ maxUnavailable: 9 }), pods, scales).desiredHealthy).toBe(0);
  });

  test("pods without a controller count for nothing and are reported", () => {
    const mixed = [...pods, pod("bare")];
    expect(expectedCounts(budget({ maxUnavailable: 1 }), mixed, scaleOf({ "rs-uid": 2 }))).toEqual({
      expectedPods: 2,
      desiredHealthy: 1,
      unmanagedPods: ["bare"],
    });
  });

  test("a controller that cannot be found is an error", () => {
    expect(() => expectedCounts(budget({ minAvailable: "50%" }), pods, scaleOf({}))).toThrow(
      'found no controllers for pod "a"',
    );
  });

  test("scaledValue rounds percentages up", () => {
    expect(scaledValue("10%", 11)).toBe(2);
    expect(scaledValue(3, 11)).toBe(3);
    expect(() => scaledValue("ten", 11)).toThrow("is not a percentage");
  });
});

describe("disruptedPods and healthy pods", () => {
  test("keeps pending grants, drops expired ones and pods being deleted", () => {
    const pods = [pod("fresh"), pod("old"), pod("going", { deleting: true }), pod("other")];
    const result = disruptedPodMap(
      pods,
      {
        disruptedPods: {
          fresh: "2025-01-01T00:09:30Z",
          old: "2025-01-01T00:05:00Z",
          going: "2025-01-01T00:09:30Z",
          gone: "2025-01-01T00:09:30Z",
        },
      },
      NOW,
    );
    expect(result.disrupted).toEqual({ fresh: "2025-01-01T00:09:30Z" });
    expect(result.recheckAt).toBe(Date.parse("2025-01-01T00:11:30Z"));
    expect(result.expired.map((p) => p.metadata?.name)).toEqual(["old"]);
  });

  test("counts Ready pods that are neither being deleted nor granted an eviction", () => {
    const pods = [pod("a"), pod("b", { ready: false }), pod("c", { deleting: true }), pod("d")];
    expect(countHealthy(pods, {}, NOW)).toBe(2);
    expect(countHealthy(pods, { d: "2025-01-01T00:09:30Z" }, NOW)).toBe(1);
  });
});

describe("budgetStatus", () => {
  test("allows the healthy surplus and says so in the condition", () => {
    const status = budgetStatus(budget({ minAvailable: 1 }), {
      currentHealthy: 3,
      desiredHealthy: 1,
      expectedPods: 3,
      disrupted: {},
      now: NOW,
    });
    expect(status).toEqual({
      observedGeneration: 2,
      disruptionsAllowed: 2,
      currentHealthy: 3,
      desiredHealthy: 1,
      expectedPods: 3,
      conditions: [
        {
          type: "DisruptionAllowed",
          status: "True",
          reason: "SufficientPods",
          message: "",
          observedGeneration: 2,
          lastTransitionTime: "2025-01-01T00:10:00Z",
        },
      ],
    });
  });

  test("allows nothing while no pods are expected, or below the minimum", () => {
    const none = { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disrupted: {}, now: NOW };
    expect(budgetStatus(budget({ minAvailable: 0 }), none)?.disruptionsAllowed).toBe(0);
    const short = {
      currentHealthy: 1,
      desiredHealthy: 2,
      expectedPods: 2,
      disrupted: {},
      now: NOW,
    };
    const status = budgetStatus(budget({ minAvailable: 2 }), short);
    expect(status?.disruptionsAllowed).toBe(0);
    expect(status?.conditions?.[0]).toMatchObject({ status: "False", reason: "InsufficientPods" });
  });

  test("writes nothing when the stored status is current", () => {
    const counts = {
      currentHealthy: 2,
      desiredHealthy: 2,
      expectedPods: 2,
      disrupted: {},
      now: NOW,
    };
    const current = budgetStatus(budget({ minAvailable: 2 }), counts);
    expect(budgetStatus(budget({ minAvailable: 2 }, { ...current }), counts)).toBeUndefined();
  });
});

describe("staleDisruptionIn", () => {
  const target = (since: string, reason = "EvictionByEvictionAPI"): KubeObject => ({
    metadata: { name: "p" },
    status: {
      phase: "Running",
      conditions: [{ type: "DisruptionTarget", status: "True", reason, lastTransitionTime: since }],
    },
  });

  test("counts two minutes from the condition's transition", () => {
    expect(staleDisruptionIn(target("2025-01-01T00:09:00Z"), NOW)).toBe(60_000);
    expect(staleDisruptionIn(target("2025-01-01T00:00:00Z"), NOW)).toBe(0);
  });

  test("never for the kubelet's own condition", () => {
    expect(staleDisruptionIn(target("2025-01-01T00:00:00Z", "TerminationByKubelet"), NOW)).toBe(
      undefined,
    );
  });
});

describe("DisruptionController", () => {
  let controller: DisruptionController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(budgets: KubeObject[], pods: KubeObject[], workloads: KubeObject[] = []) {
    const fake = new FakeClient();
    const client = fake.asClient();
    controller = new DisruptionController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => NOW,
    });
    controller.budgets.replace(budgets, "1");
    controller.pods.replace(pods, "1");
    controller.replicaSets.replace(workloads, "1");
    return { fake, controller };
  }

  test("writes the counts for a maxUnavailable budget over a ReplicaSet's scale", async () => {
    const rs: KubeObject = {
      metadata: { name: "web", namespace: "ns", uid: "rs-uid" },
      spec: { replicas: 3 },
    };
    const pods = [
      pod("a", { owner: rsOwner }),
      pod("b", { owner: rsOwner }),
      pod("c", { owner: rsOwner }),
    ];
    const { fake, controller } = setUp([budget({ maxUnavailable: 1 })], pods, [rs]);
    await controller.sync("pdb/ns/web");
    const updates = fake.actions.filter((a) => a.verb === "updateStatus");
    expect(updates.map((a) => a.path)).toEqual([
      "/apis/policy/v1/namespaces/ns/poddisruptionbudgets/web",
    ]);
    expect(updates[0]?.body?.status).toMatchObject({
      expectedPods: 3,
      desiredHealthy: 2,
      currentHealthy: 3,
      disruptionsAllowed: 1,
      observedGeneration: 2,
    });
    expect(updates[0]?.body?.metadata?.resourceVersion).toBe("7");
  });

  test("a ReplicaSet of a Deployment counts the Deployment's replicas", async () => {
    const rs: KubeObject = {
      metadata: {
        name: "web",
        namespace: "ns",
        uid: "rs-uid",
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "web",
            uid: "d-uid",
            controller: true,
          },
        ],
      },
      spec: { replicas: 1 },
    };
    const { controller } = setUp([], [], [rs]);
    controller.deployments.replace(
      [{ metadata: { name: "web", namespace: "ns", uid: "d-uid" }, spec: { replicas: 6 } }],
      "1",
    );
    expect(controller.findScale({ apiVersion: "apps/v1", ...rsOwner }, "ns")).toEqual({
      uid: "d-uid",
      scale: 6,
    });
  });

  test("fails safe: no disruptions when the pods' controller is missing", async () => {
    const { fake, controller } = setUp(
      [budget({ minAvailable: "50%" }, { disruptionsAllowed: 3 })],
      [pod("a", { owner: rsOwner })],
    );
    await expect(controller.sync("pdb/ns/web")).rejects.toThrow("found no controllers");
    const update = fake.actions.find((a) => a.verb === "updateStatus");
    expect(update?.body?.status).toMatchObject({
      disruptionsAllowed: 0,
      conditions: [{ type: "DisruptionAllowed", status: "False", reason: "SyncFailed" }],
    });
  });
});

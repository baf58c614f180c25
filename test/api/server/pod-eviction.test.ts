import { describe, expect, test } from "bun:test";
import { conflict, StatusError } from "../../../src/api/errors/status-error.ts";
import type { DeleteOptions } from "../../../src/api/registry/resource-registry.ts";
import {
  checkAndDecrement,
  type EvictionBackend,
  evictionDeleteOptions,
  evictPod,
} from "../../../src/api/server/pod-eviction.ts";
import type { KubeObject, RequestContext } from "../../../src/resources/kind.ts";

const NOW = Date.parse("2025-01-01T00:00:00Z");
const context: RequestContext = { user: "alice", groups: [], namespace: "ns", dryRun: false };

function pod(name: string, options: { phase?: string; ready?: boolean; rv?: string } = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "ns",
      uid: `uid-${name}`,
      resourceVersion: options.rv ?? "10",
      labels: { app: "web" },
    },
    status: {
      phase: options.phase ?? "Running",
      conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }],
    },
  };
}

function budget(name: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace: "ns", generation: 1, resourceVersion: "5" },
    spec: { selector: { matchLabels: { app: "web" } }, ...spec },
    status: { observedGeneration: 1, ...status },
  };
}

const eviction = (name: string, deleteOptions?: Record<string, unknown>): KubeObject => ({
  apiVersion: "policy/v1",
  kind: "Eviction",
  metadata: { name, namespace: "ns" },
  ...(deleteOptions ? { deleteOptions } : {}),
});

/** An in-memory backend recording what eviction did. */
class FakeBackend implements EvictionBackend {
  readonly calls: string[] = [];
  readonly deletes: DeleteOptions[] = [];
  readonly statuses: KubeObject["status"][] = [];
  /** Conflicts the next budget status updates answer with. */
  budgetConflicts = 0;
  constructor(
    public pods: Map<string, KubeObject>,
    public budgets: KubeObject[],
  ) {}

  async getPod(_namespace: string, name: string) {
    const found = this.pods.get(name);
    if (!found)
      throw new StatusError({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "not found",
        reason: "NotFound",
        code: 404,
      });
    return structuredClone(found);
  }
  async markDisruptionTarget(
    _c: RequestContext,
    name: string,
    pre: DeleteOptions["preconditions"],
  ) {
    this.calls.push(`mark ${name}`);
    const current = this.pods.get(name) as KubeObject;
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata?.resourceVersion) {
      throw conflict({ group: "", resource: "Pod", name }, "stale");
    }
    const next = structuredClone(current);
    next.metadata = { ...next.metadata, resourceVersion: "11" };
    this.pods.set(name, next);
    return next;
  }
  async deletePod(_c: RequestContext, name: string, options: DeleteOptions) {
    this.calls.push(`delete ${name}`);
    this.deletes.push(options);
  }
  async listBudgets() {
    return structuredClone(this.budgets);
  }
  async getBudget(_namespace: string, name: string) {
    this.calls.push(`get budget ${name}`);
    return structuredClone(this.budgets.find((b) => b.metadata?.name === name) as KubeObject);
  }
  async updateBudgetStatus(updated: KubeObject) {
    this.calls.push(`update budget ${updated.metadata?.name}`);
    if (this.budgetConflicts > 0) {
      this.budgetConflicts--;
      throw conflict({ group: "policy", resource: "poddisruptionbudgets" }, "stale");
    }
    this.statuses.push(updated.status);
  }
  async admit() {
    this.calls.push("admit");
  }
}

const deps = (backend: EvictionBackend) => ({
  backend,
  now: () => NOW,
  sleep: async () => {},
});

async function failure(promise: Promise<unknown>): Promise<StatusError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error("expected the eviction to fail");
}

describe("evictPod", () => {
  test("deletes a pod no budget selects, after marking it a disruption target", async () => {
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), []);
    const answer = await evictPod(deps(backend), context, "web-0", eviction("web-0"));
    expect(answer).toMatchObject({ kind: "Status", status: "Success", code: 201 });
    expect(backend.calls).toEqual(["admit", "mark web-0", "delete web-0"]);
  });

  test("refuses with 429 DisruptionBudget when the budget allows no disruption", async () => {
    const pdb = budget("web", { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 });
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), [pdb]);
    const error = await failure(evictPod(deps(backend), context, "web-0", eviction("web-0")));
    expect(error.status).toMatchObject({
      code: 429,
      reason: "TooManyRequests",
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: "DisruptionBudget",
            message: "The disruption budget web needs 2 healthy pods and has 2 currently",
          },
        ],
      },
    });
    expect(backend.calls).toEqual(["admit"]);
  });

  test("spends one disruption, records the pod, then deletes it", async () => {
    const pdb = budget("web", { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2 });
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), [pdb]);
    await evictPod(deps(backend), context, "web-0", eviction("web-0", { gracePeriodSeconds: 5 }));
    expect(backend.calls).toEqual(["admit", "update budget web", "mark web-0", "delete web-0"]);
    expect(backend.statuses[0]).toMatchObject({
      disruptionsAllowed: 0,
      disruptedPods: { "web-0": "2025-01-01T00:00:00Z" },
      conditions: [{ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods" }],
    });
    expect(backend.deletes).toEqual([{ dryRun: false, gracePeriodSeconds: 5 }]);
  });

  test("reads the budget again after a conflicting status update", async () => {
    const pdb = budget("web", { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1 });
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), [pdb]);
    backend.budgetConflicts = 1;
    await evictPod(deps(backend), context, "web-0", eviction("web-0"));
    expect(backend.calls).toEqual([
      "admit",
      "update budget web",
      "get budget web",
      "update budget web",
      "mark web-0",
      "delete web-0",
    ]);
  });

  test("answers 500 when two budgets select the pod", async () => {
    const budgets = [
      budget("a", { disruptionsAllowed: 1 }),
      budget("b", { disruptionsAllowed: 1 }, { selector: {} }),
    ];
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), budgets);
    const error = await failure(evictPod(deps(backend), context, "web-0", eviction("web-0")));
    expect(error.code).toBe(500);
    expect(error.message).toBe(
      "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
    );
    expect(backend.calls).toEqual(["admit"]);
  });

  test("deletes a pending pod without looking at budgets, pinned to the version it read", async () => {
    const pdb = budget("web", { disruptionsAllowed: 0 });
    const backend = new FakeBackend(new Map([["web-0", pod("web-0", { phase: "Pending" })]]), [
      pdb,
    ]);
    await evictPod(deps(backend), context, "web-0", eviction("web-0"));
    expect(backend.calls).toEqual(["admit", "mark web-0", "delete web-0"]);
    // Pinned to the version read, moved on by the eviction's own DisruptionTarget write.
    expect(backend.deletes[0]?.preconditions).toEqual({ resourceVersion: "11" });
  });

  test("lets an unready pod go when the budget is met, but only as it was read", async () => {
    const pdb = budget("web", { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 });
    const backend = new FakeBackend(new Map([["web-0", pod("web-0", { ready: false })]]), [pdb]);
    await evictPod(deps(backend), context, "web-0", eviction("web-0"));
    expect(backend.calls).toEqual(["admit", "mark web-0", "delete web-0"]);
    // The DisruptionTarget write moved the version; the delete names the new one.
    expect(backend.deletes[0]?.preconditions).toEqual({ resourceVersion: "11" });
  });

  test("refuses while the budget's status lags behind its spec", async () => {
    const pdb = budget("web", { disruptionsAllowed: 5, observedGeneration: 1 });
    pdb.metadata.generation = 2;
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), [pdb]);
    const error = await failure(evictPod(deps(backend), context, "web-0", eviction("web-0")));
    expect(error.code).toBe(429);
    expect(error.status.details?.causes?.[0]?.message).toBe(
      "The disruption budget web is still being processed by the server.",
    );
  });

  test("a dry run writes nothing", async () => {
    const pdb = budget("web", { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2 });
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), [pdb]);
    await evictPod(deps(backend), context, "web-0", eviction("web-0", { dryRun: ["All"] }));
    expect(backend.calls).toEqual(["admit", "delete web-0"]);
    expect(backend.deletes[0]?.dryRun).toBe(true);
  });

  test("takes policy/v1beta1 Evictions too, and nothing else", async () => {
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), []);
    const beta = { ...eviction("web-0"), apiVersion: "policy/v1beta1" };
    await evictPod(deps(backend), context, "web-0", beta);
    expect(backend.calls).toEqual(["admit", "mark web-0", "delete web-0"]);
    const wrong = { ...eviction("web-0"), apiVersion: "v1" };
    expect((await failure(evictPod(deps(backend), context, "web-0", wrong))).code).toBe(400);
  });

  test("refuses an Eviction naming another pod", async () => {
    const backend = new FakeBackend(new Map([["web-0", pod("web-0")]]), []);
    const error = await failure(evictPod(deps(backend), context, "web-0", eviction("web-1")));
    expect(error.status).toMatchObject({
      code: 400,
      message: "name in URL does not match name in Eviction object",
    });
  });
});

describe("checkAndDecrement", () => {
  test("keeps the condition True while disruptions remain", () => {
    const pdb = budget("web", {
      disruptionsAllowed: 2,
      conditions: [
        {
          type: "DisruptionAllowed",
          status: "True",
          reason: "SufficientPods",
          message: "",
          lastTransitionTime: "2024-01-01T00:00:00Z",
        },
      ],
    });
    const status = checkAndDecrement(pdb, "web-0", false, new Date(NOW));
    expect(status.disruptionsAllowed).toBe(1);
    expect(status.conditions?.[0]?.status).toBe("True");
  });

  test("refuses a negative budget and an overfull disruptedPods map", () => {
    expect(() =>
      checkAndDecrement(budget("web", { disruptionsAllowed: -1 }), "p", false, new Date(NOW)),
    ).toThrow('poddisruptionbudget.policy "web" is forbidden: pdb disruptions allowed is negative');
    const many = Object.fromEntries(
      Array.from({ length: 2001 }, (_, i) => [`p${i}`, "2025-01-01T00:00:00Z"]),
    );
    expect(() =>
      checkAndDecrement(
        budget("web", { disruptionsAllowed: 1, disruptedPods: many }),
        "p",
        false,
        new Date(NOW),
      ),
    ).toThrow("DisruptedPods map too big");
  });
});

describe("evictionDeleteOptions", () => {
  test("takes the Eviction's delete options and the request's dry run", () => {
    expect(
      evictionDeleteOptions(
        eviction("p", {
          gracePeriodSeconds: 0,
          propagationPolicy: "Foreground",
          preconditions: { uid: "u" },
        }),
        true,
      ),
    ).toEqual({
      dryRun: true,
      gracePeriodSeconds: 0,
      propagationPolicy: "Foreground",
      preconditions: { uid: "u" },
    });
    expect(() => evictionDeleteOptions(eviction("p", { dryRun: ["Some"] }), false)).toThrow(
      'dryRun: Unsupported value: "Some"',
    );
  });
});

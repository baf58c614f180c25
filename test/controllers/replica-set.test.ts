import { afterEach, describe, expect, test } from "bun:test";
import type { Pod } from "../../src/controllers/active-pods.ts";
import {
  REPLICATION_CONTROLLERS,
  ReplicaSetController,
  slowStartBatch,
} from "../../src/controllers/replica-set.ts";
import type { ReplicaSet } from "../../src/controllers/replica-set-status.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import { type Action, apiError, FakeClient, RecordingLogger } from "./fake-client.ts";

const NOW = new Date("2030-01-01T00:10:00Z");

function replicaSet(replicas: number, extra: Partial<ReplicaSet["spec"]> = {}): ReplicaSet {
  return {
    metadata: { name: "web", namespace: "ns", uid: "rs-uid", generation: 2, resourceVersion: "5" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web", tier: "front" } },
        spec: { containers: [{ name: "c", image: "busybox" }] },
      },
      ...extra,
    },
    status: { replicas: 0 },
  };
}

let podCount = 0;
function pod(
  name: string,
  options: {
    owner?: string;
    ownerKind?: string;
    labels?: Record<string, string>;
    node?: string;
    phase?: string;
    ready?: string;
    created?: string;
    deleting?: boolean;
  } = {},
): Pod {
  const { owner = "rs-uid", ownerKind = "ReplicaSet", phase = "Running" } = options;
  podCount++;
  return {
    metadata: {
      name,
      namespace: "ns",
      uid: `uid-${name}`,
      resourceVersion: String(podCount),
      labels: options.labels ?? { app: "web", tier: "front" },
      creationTimestamp: options.created ?? "2030-01-01T00:00:00Z",
      ...(owner
        ? {
            ownerReferences: [
              { apiVersion: "apps/v1", kind: ownerKind, name: "web", uid: owner, controller: true },
            ],
          }
        : {}),
      ...(options.deleting ? { deletionTimestamp: "2030-01-01T00:05:00Z" } : {}),
    },
    spec: { nodeName: options.node ?? "node-a" },
    status: {
      phase,
      conditions: options.ready
        ? [{ type: "Ready", status: "True", lastTransitionTime: options.ready }]
        : [],
    },
  };
}

const nonEvents = (fake: FakeClient) => fake.writes().filter((w) => !w.includes("/events"));
const events = (fake: FakeClient) =>
  fake.actions
    .filter((a) => a.path.includes("/events"))
    .map((a) => `${a.body?.reason} ${a.body?.message}`);

describe("ReplicaSetController", () => {
  let controller: ReplicaSetController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(
    rs: ReplicaSet,
    pods: Pod[],
    respond?: (action: Action) => ReplicaSet | undefined,
  ) {
    const fake = new FakeClient();
    let created = 0;
    fake.respond = (action) => {
      const answer = respond?.(action);
      if (answer !== undefined) return answer;
      if (action.verb === "get") return rs;
      if (action.verb === "create" && action.body?.kind === "Pod") {
        created++;
        return { ...action.body, metadata: { ...action.body.metadata, name: `web-${created}` } };
      }
      return action.body ?? {};
    };
    const client = fake.asClient();
    controller = new ReplicaSetController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => NOW,
      kind: rs.kind === "ReplicationController" ? REPLICATION_CONTROLLERS : undefined,
    });
    controller.replicaSets.replace([rs], "1");
    controller.pods.replace(pods, "1");
    return { fake, controller };
  }

  test("creates the missing pods from the template, owned by the ReplicaSet", async () => {
    const { fake, controller } = setUp(replicaSet(3), [
      pod("a", { ready: "2030-01-01T00:00:00Z" }),
    ]);
    await controller.sync("ns/web");
    await controller.events.flush();
    expect(nonEvents(fake)).toEqual([
      "create /api/v1/namespaces/ns/pods",
      "create /api/v1/namespaces/ns/pods",
      "updateStatus /apis/apps/v1/namespaces/ns/replicasets/web",
    ]);
    const created = fake.actions.find((a) => a.verb === "create" && a.body?.kind === "Pod")?.body;
    expect(created?.metadata).toMatchObject({
      generateName: "web-",
      namespace: "ns",
      labels: { app: "web", tier: "front" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web",
          uid: "rs-uid",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(events(fake)).toEqual([
      "SuccessfulCreate Created pod: web-1",
      "SuccessfulCreate Created pod: web-2",
    ]);
    const status = fake.actions.find((a) => a.verb === "updateStatus")?.body?.status;
    expect(status).toEqual({
      replicas: 1,
      fullyLabeledReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      observedGeneration: 2,
    });
  });

  test("does not create again while its creations are not yet in the cache", async () => {
    const { fake, controller } = setUp(replicaSet(2), []);
    await controller.sync("ns/web");
    const creates = () =>
      fake.actions.filter((a) => a.verb === "create" && a.body?.kind === "Pod").length;
    expect(creates()).toBe(2);
    await controller.sync("ns/web");
    expect(creates()).toBe(2);
    // The informer sees one of the two: still one outstanding, still no new create.
    controller.pods.added(pod("web-1"));
    await Bun.sleep(0);
    await controller.sync("ns/web");
    expect(creates()).toBe(2);
    controller.pods.added(pod("web-2"));
    await Bun.sleep(0);
    await controller.sync("ns/web");
    expect(creates()).toBe(2);
    // Both seen, and one of them deleted by hand: it is replaced.
    controller.pods.deleted(pod("web-2"));
    await Bun.sleep(0);
    await controller.sync("ns/web");
    expect(creates()).toBe(3);
  });

  test("creates in slow-start batches and stops at the first failure", async () => {
    const { fake, controller } = setUp(replicaSet(10), [], (action) => {
      if (action.verb === "create" && action.body?.kind === "Pod") throw apiError(403, "Forbidden");
      return undefined;
    });
    await expect(controller.sync("ns/web")).rejects.toThrow("Forbidden");
    await controller.events.flush();
    expect(fake.actions.filter((a) => a.verb === "create" && a.body?.kind === "Pod")).toHaveLength(
      1,
    );
    expect(events(fake)).toEqual(["FailedCreate Error creating: Forbidden"]);
    const status = fake.actions.find((a) => a.verb === "updateStatus")?.body
      ?.status as ReplicaSet["status"];
    expect(status?.conditions).toEqual([
      {
        type: "ReplicaFailure",
        status: "True",
        lastTransitionTime: "2030-01-01T00:10:00Z",
        reason: "FailedCreate",
        message: "Forbidden",
      },
    ]);
    // Nothing outstanding: the retry creates again at once.
    expect(controller.expectations.satisfied("ns/web")).toBe(true);
  });

  test("deletes the surplus, unscheduled before pending before not ready before ready, newest first", async () => {
    const pods = [
      pod("ready-old", { ready: "2030-01-01T00:00:00Z", created: "2030-01-01T00:00:00Z" }),
      pod("ready-new", { ready: "2030-01-01T00:09:59Z", created: "2030-01-01T00:09:58Z" }),
      pod("not-ready"),
      pod("pending", { phase: "Pending" }),
      pod("unscheduled", { phase: "Pending", node: "" }),
    ];
    const { fake, controller } = setUp(replicaSet(1), pods);
    await controller.sync("ns/web");
    await controller.events.flush();
    expect(nonEvents(fake)).toEqual([
      "delete /api/v1/namespaces/ns/pods/unscheduled",
      "delete /api/v1/namespaces/ns/pods/pending",
      "delete /api/v1/namespaces/ns/pods/not-ready",
      "delete /api/v1/namespaces/ns/pods/ready-new",
      "updateStatus /apis/apps/v1/namespaces/ns/replicasets/web",
    ]);
    expect(events(fake)).toContain("SuccessfulDelete Deleted pod: ready-new");
    // A deletion seen as a deletionTimestamp and then as the delete itself counts once.
    await controller.sync("ns/web");
    expect(controller.expectations.satisfied("ns/web")).toBe(false);
    controller.pods.modified(pod("unscheduled", { deleting: true }));
    controller.pods.deleted(pod("unscheduled", { deleting: true }));
    for (const name of ["pending", "not-ready"]) controller.pods.deleted(pod(name));
    await Bun.sleep(0);
    expect(controller.expectations.satisfied("ns/web")).toBe(false);
    controller.pods.deleted(pod("ready-new"));
    await Bun.sleep(0);
    expect(controller.expectations.satisfied("ns/web")).toBe(true);
  });

  test("adopts matching orphans, releases what stopped matching, leaves others' pods alone", async () => {
    const pods = [
      pod("orphan", { owner: "" }),
      pod("relabelled", { labels: { app: "other" } }),
      pod("foreign", { owner: "someone-else" }),
      pod("finished", { owner: "", phase: "Succeeded" }),
      pod("going", { owner: "", deleting: true }),
    ];
    const { fake, controller } = setUp(replicaSet(1), pods);
    await controller.sync("ns/web");
    expect(fake.actions.map((a) => `${a.verb} ${a.path}`)).toEqual([
      "get /apis/apps/v1/namespaces/ns/replicasets/web",
      "patch /api/v1/namespaces/ns/pods/orphan",
      "patch /api/v1/namespaces/ns/pods/relabelled",
      "updateStatus /apis/apps/v1/namespaces/ns/replicasets/web",
    ]);
    const [adopt, release] = fake.actions
      .filter((a) => a.verb === "patch")
      .map((a) => a.body as unknown);
    expect(adopt).toEqual({
      metadata: {
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: "web",
            uid: "rs-uid",
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        uid: "uid-orphan",
      },
    });
    expect(release).toEqual({
      metadata: { ownerReferences: [{ $patch: "delete", uid: "rs-uid" }], uid: "uid-relabelled" },
    });
  });

  test("does not adopt for a ReplicaSet that turns out to be deleted", async () => {
    const { fake, controller } = setUp(replicaSet(1), [pod("orphan", { owner: "" })], (action) =>
      action.verb === "get"
        ? { ...replicaSet(1), metadata: { name: "web", uid: "a-new-one" } }
        : undefined,
    );
    await expect(controller.sync("ns/web")).rejects.toThrow("original ReplicaSet ns/web is gone");
    expect(fake.writes()).toEqual([]);
  });

  test("serves ReplicationControllers with their label-map selector", async () => {
    const rc: ReplicaSet = {
      ...replicaSet(2),
      kind: "ReplicationController",
      spec: { ...replicaSet(2).spec, selector: { app: "web" } as never },
    };
    const { fake, controller } = setUp(rc, [
      pod("a", { ownerKind: "ReplicationController" }),
      pod("b", { owner: "" }),
    ]);
    await controller.sync("ns/web");
    expect(nonEvents(fake)).toEqual([
      "patch /api/v1/namespaces/ns/pods/b",
      "updateStatus /api/v1/namespaces/ns/replicationcontrollers/web",
    ]);
    expect(fake.actions.find((a) => a.verb === "patch")?.body).toMatchObject({
      metadata: {
        ownerReferences: [{ apiVersion: "v1", kind: "ReplicationController", uid: "rs-uid" }],
      },
    });
  });
});

describe("slowStartBatch", () => {
  test("runs batches of 1, 2, 4, … and stops after a failing batch", async () => {
    let calls = 0;
    const all = await slowStartBatch(7, 1, async () => {
      calls++;
    });
    expect(all).toEqual({ successes: 7 });
    expect(calls).toBe(7);
    calls = 0;
    const failing = await slowStartBatch(20, 1, async () => {
      calls++;
      if (calls === 5) throw new Error("no");
    });
    // Batches 1 and 2 succeed; the batch of 4 has one failure; the batch of 8 never starts.
    expect(calls).toBe(7);
    expect(failing.successes).toBe(6);
    expect((failing.error as Error).message).toBe("no");
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import { DeploymentController } from "../../src/controllers/deployment.ts";
import { computeHash, type Deployment } from "../../src/controllers/deployment-util.ts";
import type { PodTemplate, ReplicaSet } from "../../src/controllers/replica-set-status.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { type Action, FakeClient, RecordingLogger } from "./fake-client.ts";

const NOW = new Date("2030-01-01T00:10:00Z");
const REVISION = "deployment.kubernetes.io/revision";

const template = (image: string): PodTemplate => ({
  metadata: { labels: { app: "web" } },
  spec: { containers: [{ name: "nginx", image }] },
});

function deployment(
  replicas: number,
  image: string,
  extra: Partial<Deployment["spec"]> = {},
): Deployment {
  return {
    metadata: {
      name: "web",
      namespace: "ns",
      uid: "d-uid",
      generation: 4,
      resourceVersion: "10",
      annotations: {},
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: template(image),
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
    status: {},
  };
}

/** A ReplicaSet the controller made earlier for `image`. */
function replicaSet(
  image: string,
  options: {
    replicas: number;
    revision: number;
    desired?: number;
    available?: number;
    created?: string;
  },
): ReplicaSet {
  const hash = computeHash(template(image));
  const t = template(image);
  t.metadata = { labels: { app: "web", "pod-template-hash": hash } };
  const replicas = options.replicas;
  return {
    metadata: {
      name: `web-${hash}`,
      namespace: "ns",
      uid: `rs-${image}`,
      generation: 1,
      resourceVersion: "3",
      creationTimestamp: options.created ?? "2030-01-01T00:00:00Z",
      labels: { app: "web", "pod-template-hash": hash },
      annotations: {
        [REVISION]: String(options.revision),
        "deployment.kubernetes.io/desired-replicas": String(options.desired ?? replicas),
        "deployment.kubernetes.io/max-replicas": String((options.desired ?? replicas) + 1),
      },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d-uid", controller: true },
      ],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web", "pod-template-hash": hash } },
      template: t,
    },
    status: {
      replicas,
      readyReplicas: options.available ?? replicas,
      availableReplicas: options.available ?? replicas,
      observedGeneration: 1,
    },
  };
}

const writes = (fake: FakeClient) =>
  fake.actions.filter((a) => a.verb !== "get" && !a.path.includes("/events"));
const summary = (fake: FakeClient) => writes(fake).map((a) => `${a.verb} ${a.path}`);
const events = (fake: FakeClient) =>
  fake.actions
    .filter((a) => a.path.includes("/events"))
    .map((a) => `${a.body?.reason} ${a.body?.message}`);
const lastStatus = (fake: FakeClient) =>
  writes(fake)
    .filter((a) => a.verb === "updateStatus")
    .at(-1)?.body?.status as Deployment["status"];

describe("DeploymentController", () => {
  let controller: DeploymentController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(
    d: Deployment,
    replicaSets: ReplicaSet[],
    respond?: (action: Action) => KubeObject | undefined,
  ) {
    const fake = new FakeClient();
    let version = 100;
    fake.respond = (action) => {
      const answer = respond?.(action);
      if (answer !== undefined) return answer;
      if (action.verb === "get") return d;
      const body = structuredClone(action.body ?? {});
      body.metadata = { ...body.metadata, resourceVersion: String(++version) };
      if (action.verb === "create") body.metadata.uid = `uid-${body.metadata.name}`;
      return body;
    };
    const client = fake.asClient();
    controller = new DeploymentController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => NOW,
    });
    controller.deployments.replace([d], "1");
    controller.replicaSets.replace(replicaSets, "1");
    return { fake, controller };
  }

  test("a new Deployment gets its ReplicaSet, revision 1 and the NewReplicaSetCreated condition", async () => {
    const { fake, controller } = setUp(deployment(3, "nginx:1"), []);
    await controller.sync("ns/web");
    await controller.events.flush();
    const hash = computeHash(template("nginx:1"));
    expect(summary(fake)).toEqual([
      "create /apis/apps/v1/namespaces/ns/replicasets",
      "update /apis/apps/v1/namespaces/ns/deployments/web",
      "updateStatus /apis/apps/v1/namespaces/ns/deployments/web",
      "updateStatus /apis/apps/v1/namespaces/ns/deployments/web",
    ]);
    const rs = writes(fake)[0]?.body as ReplicaSet;
    expect(rs.metadata).toMatchObject({
      name: `web-${hash}`,
      labels: { app: "web", "pod-template-hash": hash },
      annotations: {
        [REVISION]: "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
      },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d-uid", controller: true },
      ],
    });
    expect(rs.spec).toMatchObject({
      replicas: 3,
      selector: { matchLabels: { app: "web", "pod-template-hash": hash } },
      template: { metadata: { labels: { app: "web", "pod-template-hash": hash } } },
    });
    expect(writes(fake)[1]?.body?.metadata?.annotations).toEqual({ [REVISION]: "1" });
    expect(lastStatus(fake)?.conditions).toContainEqual(
      expect.objectContaining({
        type: "Progressing",
        status: "True",
        reason: "NewReplicaSetCreated",
        message: `Created new replica set "web-${hash}"`,
      }),
    );
    expect(events(fake)).toEqual([
      `ScalingReplicaSet Scaled up replica set web-${hash} from 0 to 3`,
    ]);
  });

  test("an undo makes the old ReplicaSet new again, with the next revision", async () => {
    const d = deployment(3, "nginx:1");
    if (d.metadata) d.metadata.annotations = { [REVISION]: "2" };
    const first = replicaSet("nginx:1", { replicas: 0, revision: 1, desired: 3 });
    const second = replicaSet("nginx:2", {
      replicas: 3,
      revision: 2,
      created: "2030-01-01T00:05:00Z",
    });
    const { fake, controller } = setUp(d, [first, second]);
    await controller.sync("ns/web");
    await controller.events.flush();
    const acts = writes(fake);
    expect(acts.filter((a) => a.verb === "create")).toEqual([]);
    const relabelled = acts.find(
      (a) => a.verb === "update" && a.path.endsWith(`/replicasets/${first.metadata?.name}`),
    );
    expect(relabelled?.body?.metadata?.annotations).toMatchObject({
      [REVISION]: "3",
      "deployment.kubernetes.io/revision-history": "1",
    });
    const revision = acts.find((a) => a.verb === "update" && a.path.endsWith("/deployments/web"));
    expect(revision?.body?.metadata?.annotations?.[REVISION]).toBe("3");
    expect(events(fake)).toEqual([
      `ScalingReplicaSet Scaled up replica set ${first.metadata?.name} from 0 to 1`,
    ]);
  });

  test("a paused Deployment with a new template creates nothing and says it is paused", async () => {
    const current = replicaSet("nginx:1", { replicas: 3, revision: 1 });
    const { fake, controller } = setUp(deployment(3, "nginx:2", { paused: true }), [current]);
    await controller.sync("ns/web");
    expect(summary(fake)).toEqual([
      "updateStatus /apis/apps/v1/namespaces/ns/deployments/web",
      "updateStatus /apis/apps/v1/namespaces/ns/deployments/web",
    ]);
    expect(lastStatus(fake)).toMatchObject({
      observedGeneration: 4,
      replicas: 3,
      availableReplicas: 3,
    });
    expect(lastStatus(fake)?.conditions).toContainEqual(
      expect.objectContaining({
        type: "Progressing",
        status: "Unknown",
        reason: "DeploymentPaused",
        message: "Deployment is paused",
      }),
    );
  });

  test("a resized Deployment resizes its ReplicaSet and records it", async () => {
    const current = replicaSet("nginx:1", { replicas: 3, revision: 1 });
    const d = deployment(5, "nginx:1");
    if (d.metadata) d.metadata.annotations = { [REVISION]: "1" };
    const { fake, controller } = setUp(d, [current]);
    await controller.sync("ns/web");
    await controller.events.flush();
    const scaled = writes(fake).find((a) => a.verb === "update")?.body as ReplicaSet;
    expect(scaled.spec?.replicas).toBe(5);
    expect(scaled.metadata?.annotations).toMatchObject({
      "deployment.kubernetes.io/desired-replicas": "5",
      "deployment.kubernetes.io/max-replicas": "7",
    });
    expect(events(fake)).toEqual([
      `ScalingReplicaSet Scaled up replica set ${current.metadata?.name} from 3 to 5`,
    ]);
  });

  test("a finished rollout reports NewReplicaSetAvailable and deletes history beyond the limit", async () => {
    const d = deployment(2, "nginx:3", { revisionHistoryLimit: 1 });
    if (d.metadata) d.metadata.annotations = { [REVISION]: "3" };
    d.status = {
      observedGeneration: 4,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      readyReplicas: 2,
      conditions: [
        {
          type: "Progressing",
          status: "True",
          reason: "ReplicaSetUpdated",
          lastUpdateTime: "2030-01-01T00:09:00Z",
        },
      ],
    };
    const sets = [
      replicaSet("nginx:1", { replicas: 0, revision: 1, desired: 2 }),
      replicaSet("nginx:2", { replicas: 0, revision: 2, desired: 2 }),
      replicaSet("nginx:3", { replicas: 2, revision: 3 }),
    ];
    const { fake, controller } = setUp(d, sets);
    await controller.sync("ns/web");
    expect(summary(fake)).toEqual([
      `delete /apis/apps/v1/namespaces/ns/replicasets/${sets[0]?.metadata?.name}`,
      "updateStatus /apis/apps/v1/namespaces/ns/deployments/web",
    ]);
    const progressing = lastStatus(fake)?.conditions?.find((c) => c.type === "Progressing");
    expect(progressing).toMatchObject({
      status: "True",
      reason: "NewReplicaSetAvailable",
      message: `ReplicaSet "${sets[2]?.metadata?.name}" has successfully progressed.`,
    });
  });

  test("a rollout without progress past its deadline reports ProgressDeadlineExceeded", async () => {
    const d = deployment(2, "nginx:2", { progressDeadlineSeconds: 60 });
    if (d.metadata) d.metadata.annotations = { [REVISION]: "2" };
    const stuck = replicaSet("nginx:2", { replicas: 1, revision: 2, desired: 2, available: 0 });
    const old = replicaSet("nginx:1", { replicas: 2, revision: 1, desired: 2 });
    d.status = {
      observedGeneration: 4,
      replicas: 3,
      updatedReplicas: 1,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [
        {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
          lastUpdateTime: "2030-01-01T00:00:00Z",
          lastTransitionTime: "2030-01-01T00:00:00Z",
        },
        {
          type: "Progressing",
          status: "True",
          reason: "ReplicaSetUpdated",
          message: "x",
          lastUpdateTime: "2030-01-01T00:05:00Z",
          lastTransitionTime: "2030-01-01T00:05:00Z",
        },
      ],
    };
    const { fake, controller } = setUp(d, [old, stuck]);
    await controller.sync("ns/web");
    expect(summary(fake)).toEqual(["updateStatus /apis/apps/v1/namespaces/ns/deployments/web"]);
    expect(lastStatus(fake)?.conditions?.find((c) => c.type === "Progressing")).toMatchObject({
      status: "False",
      reason: "ProgressDeadlineExceeded",
      message: `ReplicaSet "${stuck.metadata?.name}" has timed out progressing.`,
    });
  });

  test("adopts a matching orphan ReplicaSet after checking the Deployment afresh", async () => {
    const orphan = replicaSet("nginx:1", { replicas: 3, revision: 1 });
    delete orphan.metadata?.ownerReferences;
    const d = deployment(3, "nginx:1");
    if (d.metadata) d.metadata.annotations = { [REVISION]: "1" };
    const { fake, controller } = setUp(d, [orphan]);
    await controller.sync("ns/web");
    expect(fake.actions[0]).toMatchObject({
      verb: "get",
      path: "/apis/apps/v1/namespaces/ns/deployments/web",
    });
    expect(fake.actions[1]).toMatchObject({
      verb: "patch",
      path: `/apis/apps/v1/namespaces/ns/replicasets/${orphan.metadata?.name}`,
      body: {
        metadata: {
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              kind: "Deployment",
              name: "web",
              uid: "d-uid",
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
          uid: "rs-nginx:1",
        },
      },
    });
  });
});

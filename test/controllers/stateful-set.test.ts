import { afterEach, describe, expect, test } from "bun:test";
import { newRevision, templatePatch } from "../../src/controllers/controller-revisions.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import { StatefulSetController } from "../../src/controllers/stateful-set.ts";
import { claimsFor, newStatefulSetPod } from "../../src/controllers/stateful-set-pods.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

function statefulSet(spec: Record<string, unknown> = {}, image = "busybox:1"): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web", namespace: "ns", uid: "sts-uid", generation: 1 },
    spec: {
      replicas: 3,
      serviceName: "web",
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "c", image }] },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "www" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
          status: { phase: "Pending" },
        },
      ],
      podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      ...spec,
    },
    status: {},
  };
}

const revisionOf = (set: KubeObject, number = 1) => ({
  ...newRevision(set, templatePatch(set), number, 0),
  metadata: {
    ...newRevision(set, templatePatch(set), number, 0).metadata,
    uid: `rev-${number}`,
  },
});

const readyStatus = {
  phase: "Running",
  conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2024-01-01T00:00:00Z" }],
};

function runningPod(
  set: KubeObject,
  ordinal: number,
  revision: string,
  status: object = readyStatus,
) {
  const pod = newStatefulSetPod(set, ordinal, revision);
  pod.metadata = { ...pod.metadata, uid: `web-${ordinal}-uid` };
  pod.status = status;
  return pod;
}

describe("newStatefulSetPod and claimsFor", () => {
  test("a pod has its stable name, identity labels, hostname, subdomain and claim volume", () => {
    const pod = newStatefulSetPod(statefulSet(), 2, "web-abc");
    expect(pod.metadata?.name).toBe("web-2");
    expect(pod.metadata?.labels).toEqual({
      app: "web",
      "statefulset.kubernetes.io/pod-name": "web-2",
      "apps.kubernetes.io/pod-index": "2",
      "controller-revision-hash": "web-abc",
    });
    expect(pod.spec).toMatchObject({
      hostname: "web-2",
      subdomain: "web",
      volumes: [{ name: "www", persistentVolumeClaim: { claimName: "www-web-2" } }],
    });
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "StatefulSet",
      uid: "sts-uid",
    });
  });

  test("claims are named <template>-<set>-<ordinal>, labelled by the selector, without status", () => {
    const [claim] = claimsFor(statefulSet(), 1);
    expect(claim?.metadata).toEqual({ name: "www-web-1", namespace: "ns", labels: { app: "web" } });
    expect(claim?.status).toBeUndefined();
    const owned = claimsFor(
      statefulSet({
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
      }),
      0,
    );
    expect(owned[0]?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "StatefulSet" });
  });
});

describe("StatefulSetController", () => {
  let controller: StatefulSetController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(set: KubeObject, pods: KubeObject[] = [], revisions: KubeObject[] = []) {
    const fake = new FakeClient();
    const client = fake.asClient();
    controller = new StatefulSetController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
    });
    controller.sets.replace([set], "1");
    controller.pods.replace(pods, "1");
    controller.claims.replace([], "1");
    controller.revisions.replace(revisions as never, "1");
    return { fake, controller };
  }

  const podWrites = (fake: FakeClient) =>
    fake.actions
      .filter((a) => a.path.includes("/pods") || a.path.includes("/persistentvolumeclaims"))
      .map((a) => `${a.verb} ${a.body?.metadata?.name ?? a.path.split("/").pop()}`);

  test("OrderedReady creates the claim and then only the first pod", async () => {
    const set = statefulSet();
    const { fake, controller } = setUp(set);
    await controller.sync("ns/web");
    await controller.events.flush();
    const revision = revisionOf(set).metadata?.name;
    expect(fake.writes()[0]).toBe("create /apis/apps/v1/namespaces/ns/controllerrevisions");
    expect(podWrites(fake)).toEqual(["create www-web-0", "create web-0"]);
    const pod = fake.actions.find((a) => a.body?.metadata?.name === "web-0")?.body;
    expect(pod?.metadata?.labels?.["controller-revision-hash"]).toBe(revision);
    const messages = fake.actions
      .filter((a) => a.path.endsWith("/events"))
      .map((a) => `${a.body?.reason}: ${a.body?.message}`);
    expect(messages).toEqual([
      "SuccessfulCreate: create Claim www-web-0 Pod web-0 in StatefulSet web success",
      "SuccessfulCreate: create Pod web-0 in StatefulSet web successful",
    ]);
    const status = fake.actions.find((a) => a.verb === "updateStatus")?.body?.status;
    expect(status).toMatchObject({ currentRevision: revision, updateRevision: revision });
  });

  test("OrderedReady creates the next pod only once the previous one is Running and Ready", async () => {
    const set = statefulSet();
    const revision = revisionOf(set);
    const name = revision.metadata?.name ?? "";
    const pending = setUp(set, [runningPod(set, 0, name, { phase: "Pending" })], [revision]);
    await pending.controller.sync("ns/web");
    expect(podWrites(pending.fake)).toEqual(["create www-web-0"]);
    await pending.controller.loop.stop();

    const readyOne = setUp(set, [runningPod(set, 0, name)], [revision]);
    await readyOne.controller.sync("ns/web");
    expect(podWrites(readyOne.fake)).toEqual(["create www-web-1", "create web-1"]);
  });

  test("Parallel creates every pod at once", async () => {
    const set = statefulSet({ podManagementPolicy: "Parallel" });
    const { fake, controller } = setUp(set, [], [revisionOf(set)]);
    await controller.sync("ns/web");
    expect(podWrites(fake).filter((w) => w.startsWith("create web"))).toEqual([
      "create web-0",
      "create web-1",
      "create web-2",
    ]);
  });

  test("scaling down removes the highest ordinal first, one at a time, keeping claims", async () => {
    const set = statefulSet({ replicas: 1 });
    const revision = revisionOf(set);
    const name = revision.metadata?.name ?? "";
    const pods = [0, 1, 2].map((i) => runningPod(set, i, name));
    const { fake, controller } = setUp(set, pods, [revision]);
    await controller.sync("ns/web");
    expect(podWrites(fake)).toEqual(["delete web-2"]);
  });

  test("a rolling update replaces the highest ordinal at an old revision first", async () => {
    const old = statefulSet({}, "busybox:1");
    const oldRevision = revisionOf(old, 1);
    const oldName = oldRevision.metadata?.name ?? "";
    const set = statefulSet({}, "busybox:2");
    set.status = { currentRevision: oldName };
    const pods = [0, 1, 2].map((i) => runningPod(old, i, oldName));
    const { fake, controller } = setUp(set, pods, [oldRevision]);
    await controller.sync("ns/web");
    expect(podWrites(fake)).toEqual(["delete web-2"]);
    const status = fake.actions.find((a) => a.verb === "updateStatus")?.body?.status as Record<
      string,
      unknown
    >;
    expect(status.currentRevision).toBe(oldName);
    expect(status.updateRevision).toBe(revisionOf(set, 2).metadata?.name);
  });

  test("a partition keeps the ordinals below it at the old revision", async () => {
    const old = statefulSet({}, "busybox:1");
    const oldRevision = revisionOf(old, 1);
    const oldName = oldRevision.metadata?.name ?? "";
    const set = statefulSet(
      { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } },
      "busybox:2",
    );
    const newRevision = revisionOf(set, 2);
    set.status = { currentRevision: oldName };
    const pods = [
      runningPod(old, 0, oldName),
      runningPod(old, 1, oldName),
      runningPod(set, 2, newRevision.metadata?.name ?? ""),
    ];
    const { fake, controller } = setUp(set, pods, [oldRevision, newRevision]);
    await controller.sync("ns/web");
    expect(podWrites(fake)).toEqual([]);
  });

  test("OnDelete leaves old pods alone", async () => {
    const old = statefulSet({}, "busybox:1");
    const oldRevision = revisionOf(old, 1);
    const oldName = oldRevision.metadata?.name ?? "";
    const set = statefulSet({ updateStrategy: { type: "OnDelete" } }, "busybox:2");
    set.status = { currentRevision: oldName };
    const pods = [0, 1, 2].map((i) => runningPod(old, i, oldName));
    const { fake, controller } = setUp(set, pods, [oldRevision]);
    await controller.sync("ns/web");
    expect(podWrites(fake)).toEqual([]);
  });
});

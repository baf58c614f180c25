import { afterEach, describe, expect, test } from "bun:test";
import { PersistentVolumeBinder } from "../../src/controllers/persistent-volume-binder.ts";
import { findBestMatch } from "../../src/controllers/persistent-volume-match.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

function volume(name: string, spec: Record<string, unknown> = {}, extra: Partial<KubeObject> = {}) {
  return {
    metadata: { name, uid: `${name}-uid`, labels: {}, annotations: {} },
    spec: {
      capacity: { storage: "10Gi" },
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Filesystem",
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "manual",
      hostPath: { path: `/srv/${name}` },
      ...spec,
    },
    status: { phase: "Available" },
    ...extra,
  } as KubeObject;
}

function claim(spec: Record<string, unknown> = {}, annotations: Record<string, string> = {}) {
  return {
    metadata: {
      name: "data",
      namespace: "ns",
      uid: "claim-uid",
      resourceVersion: "7",
      annotations,
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      volumeMode: "Filesystem",
      storageClassName: "manual",
      ...spec,
    },
    status: { phase: "Pending" },
  } as KubeObject;
}

const storageClass = (name: string, mode = "Immediate", provisioner = "example.com/p") => ({
  metadata: { name },
  provisioner,
  volumeBindingMode: mode,
  reclaimPolicy: "Delete",
});

describe("findBestMatch", () => {
  test("takes the smallest volume that is big enough", () => {
    const volumes = [
      volume("big", { capacity: { storage: "100Gi" } }),
      volume("small", { capacity: { storage: "512Mi" } }),
      volume("fits", { capacity: { storage: "2Gi" } }),
    ];
    expect(findBestMatch(volumes, claim(), { delayBinding: false })?.metadata?.name).toBe("fits");
  });

  test("needs the class, the access modes, the selector and an Available unclaimed volume", () => {
    const volumes = [
      volume("other-class", { storageClassName: "fast" }),
      volume("read-many", { accessModes: ["ReadOnlyMany"] }),
      volume("claimed", { claimRef: { name: "x", namespace: "ns", uid: "x" } }),
      volume("released", {}, { status: { phase: "Released" } }),
      volume("unlabelled"),
    ];
    expect(findBestMatch(volumes, claim(), { delayBinding: false })?.metadata?.name).toBe(
      "unlabelled",
    );
    const selective = claim({ selector: { matchLabels: { tier: "gold" } } });
    expect(findBestMatch(volumes, selective, { delayBinding: false })).toBeUndefined();
  });

  test("a volume pre-bound to the claim wins; delayed binding waits for a node", () => {
    const prebound = volume("mine", { claimRef: { name: "data", namespace: "ns" } });
    expect(findBestMatch([volume("a"), prebound], claim(), { delayBinding: true })).toBe(prebound);
    const pinned = volume("pinned", {
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["n1"] }],
            },
          ],
        },
      },
    });
    expect(findBestMatch([pinned], claim(), { delayBinding: true })).toBeUndefined();
    const n1 = { metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1" } } };
    const n2 = { metadata: { name: "n2", labels: { "kubernetes.io/hostname": "n2" } } };
    expect(findBestMatch([pinned], claim(), { delayBinding: true, node: n1 })).toBe(pinned);
    expect(findBestMatch([pinned], claim(), { delayBinding: true, node: n2 })).toBeUndefined();
  });
});

describe("PersistentVolumeBinder", () => {
  let binder: PersistentVolumeBinder | undefined;
  afterEach(() => binder?.loop.stop());

  function setUp(volumes: KubeObject[], claims: KubeObject[], classes: KubeObject[] = []) {
    const fake = new FakeClient();
    const client = fake.asClient();
    binder = new PersistentVolumeBinder({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
    });
    binder.volumes.replace(volumes, "1");
    binder.claims.replace(claims, "1");
    binder.classes.replace(classes, "1");
    binder.nodes.replace([], "1");
    return { fake, binder };
  }

  test("binds a claim to a fitting volume on both sides", async () => {
    const { fake, binder } = setUp([volume("pv1")], [claim()]);
    await binder.sync("claim:ns/data");
    expect(fake.writes()).toEqual([
      "update /api/v1/persistentvolumes/pv1",
      "updateStatus /api/v1/persistentvolumes/pv1",
      "update /api/v1/namespaces/ns/persistentvolumeclaims/data",
      "updateStatus /api/v1/namespaces/ns/persistentvolumeclaims/data",
    ]);
    const [pv, pvStatus, pvc, pvcStatus] = fake.actions.map((a) => a.body as KubeObject);
    expect((pv?.spec as { claimRef?: unknown }).claimRef).toEqual({
      kind: "PersistentVolumeClaim",
      namespace: "ns",
      name: "data",
      uid: "claim-uid",
      apiVersion: "v1",
      resourceVersion: "7",
    });
    expect(pv?.metadata?.annotations).toEqual({ "pv.kubernetes.io/bound-by-controller": "yes" });
    expect(pvStatus?.status).toMatchObject({ phase: "Bound" });
    expect((pvc?.spec as { volumeName?: string }).volumeName).toBe("pv1");
    expect(pvc?.metadata?.annotations).toEqual({
      "pv.kubernetes.io/bind-completed": "yes",
      "pv.kubernetes.io/bound-by-controller": "yes",
    });
    expect(pvcStatus?.status).toEqual({
      phase: "Bound",
      accessModes: ["ReadWriteOnce"],
      capacity: { storage: "10Gi" },
    });
  });

  test("a WaitForFirstConsumer claim waits for a node, then goes to the provisioner", async () => {
    const classes = [storageClass("local-path", "WaitForFirstConsumer", "rancher.io/local-path")];
    const waiting = setUp([], [claim({ storageClassName: "local-path" })], classes);
    await waiting.binder.sync("claim:ns/data");
    await waiting.binder.events.flush();
    expect(waiting.fake.writes()).toEqual(["create /api/v1/namespaces/ns/events"]);
    expect(waiting.fake.actions[0]?.body?.reason).toBe("WaitForFirstConsumer");
    await waiting.binder.loop.stop();

    const selected = claim(
      { storageClassName: "local-path" },
      { "volume.kubernetes.io/selected-node": "n1" },
    );
    const { fake, binder } = setUp([], [selected], classes);
    await binder.sync("claim:ns/data");
    await binder.events.flush();
    const update = fake.actions.find((a) => a.verb === "update")?.body;
    expect(update?.metadata?.annotations).toMatchObject({
      "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path",
      "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
    });
    expect(fake.actions.map((a) => a.body?.reason).filter(Boolean)).toEqual([
      "ExternalProvisioning",
    ]);
  });

  test("gives a claim created before any default class the default one", async () => {
    const defaultClass = {
      ...storageClass("standard"),
      metadata: {
        name: "standard",
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
    };
    const unclassed = claim();
    delete (unclassed.spec as Record<string, unknown>).storageClassName;
    const { fake, binder } = setUp([], [unclassed], [defaultClass]);
    await binder.sync("claim:ns/data");
    expect(fake.writes()).toEqual(["update /api/v1/namespaces/ns/persistentvolumeclaims/data"]);
    expect((fake.actions[0]?.body?.spec as { storageClassName?: string }).storageClassName).toBe(
      "standard",
    );
  });

  test("a volume whose claim is gone is Released; Retain keeps it", async () => {
    const bound = volume("pv1", { claimRef: { name: "data", namespace: "ns", uid: "gone" } });
    bound.status = { phase: "Bound" };
    const { fake, binder } = setUp([bound], []);
    // The claim is gone from the server too.
    fake.respond = (action) => (action.verb === "get" ? undefined : action.body);
    await binder.sync("volume:pv1");
    expect(fake.writes()).toEqual(["updateStatus /api/v1/persistentvolumes/pv1"]);
    expect(fake.actions.at(-1)?.body?.status).toMatchObject({ phase: "Released" });
  });

  test("Delete on a volume nobody provisioned fails it with upstream's event", async () => {
    const released = volume("pv1", {
      claimRef: { name: "data", namespace: "ns", uid: "gone" },
      persistentVolumeReclaimPolicy: "Delete",
    });
    released.status = { phase: "Released" };
    const { fake, binder } = setUp([released], []);
    fake.respond = (action) => (action.verb === "get" ? undefined : action.body);
    await binder.sync("volume:pv1");
    await binder.events.flush();
    const status = fake.actions.find((a) => a.verb === "updateStatus")?.body?.status;
    expect(status).toMatchObject({ phase: "Failed" });
    const event = fake.actions.find((a) => a.path.endsWith("/events"))?.body;
    expect(event?.reason).toBe("VolumeFailedDelete");
  });

  test("leaves a released provisioned volume with Delete to its provisioner", async () => {
    const released = volume(
      "pvc-1",
      {
        claimRef: { name: "data", namespace: "ns", uid: "gone" },
        persistentVolumeReclaimPolicy: "Delete",
      },
      {
        metadata: {
          name: "pvc-1",
          annotations: { "pv.kubernetes.io/provisioned-by": "rancher.io/local-path" },
        },
      },
    );
    released.status = { phase: "Released" };
    const { fake, binder } = setUp([released], []);
    fake.respond = (action) => (action.verb === "get" ? undefined : action.body);
    await binder.sync("volume:pvc-1");
    expect(fake.writes()).toEqual([]);
  });
});

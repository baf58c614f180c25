import { afterEach, describe, expect, test } from "bun:test";
import {
  LocalPathProvisioner,
  localPathStorageClass,
} from "../../src/controllers/local-path-provisioner.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const node = { metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1" } } };

function claim(annotations: Record<string, string> = {}, modes = ["ReadWriteOnce"]): KubeObject {
  return {
    metadata: {
      name: "data",
      namespace: "ns",
      uid: "1234",
      resourceVersion: "9",
      annotations: {
        "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path",
        ...annotations,
      },
    },
    spec: {
      accessModes: modes,
      resources: { requests: { storage: "2Gi" } },
      storageClassName: "local-path",
    },
    status: { phase: "Pending" },
  };
}

function provisionedVolume(phase: string): KubeObject {
  return {
    metadata: {
      name: "pvc-1234",
      annotations: { "pv.kubernetes.io/provisioned-by": "rancher.io/local-path" },
    },
    spec: {
      persistentVolumeReclaimPolicy: "Delete",
      claimRef: { name: "data", namespace: "ns", uid: "1234" },
      hostPath: { path: "/var/lib/kubun/storage/pvc-1234_ns_data", type: "DirectoryOrCreate" },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["n1"] }],
            },
          ],
        },
      },
    },
    status: { phase },
  };
}

describe("LocalPathProvisioner", () => {
  let provisioner: LocalPathProvisioner | undefined;
  afterEach(() => provisioner?.loop.stop());

  function setUp(options: {
    claims?: KubeObject[];
    volumes?: KubeObject[];
    pods?: KubeObject[];
    classes?: KubeObject[];
  }) {
    const fake = new FakeClient();
    const client = fake.asClient();
    provisioner = new LocalPathProvisioner({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => Date.parse("2024-01-01T00:00:30Z"),
    });
    provisioner.claims.replace(options.claims ?? [], "1");
    provisioner.volumes.replace(options.volumes ?? [], "1");
    provisioner.classes.replace(options.classes ?? [localPathStorageClass()], "1");
    provisioner.nodes.replace([node], "1");
    provisioner.pods.replace(options.pods ?? [], "1");
    return { fake, provisioner };
  }

  test("creates the default local-path class when it is missing, and only then", async () => {
    const missing = setUp({ classes: [] });
    await missing.provisioner.sync("class");
    expect(missing.fake.writes()).toEqual(["create /apis/storage.k8s.io/v1/storageclasses"]);
    expect(missing.fake.actions[0]?.body).toEqual({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: "local-path",
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "rancher.io/local-path",
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Delete",
    });
    await missing.provisioner.loop.stop();
    const present = setUp({});
    await present.provisioner.sync("class");
    expect(present.fake.writes()).toEqual([]);
  });

  test("provisions a hostPath volume on the selected node, pre-bound to the claim", async () => {
    const { fake, provisioner } = setUp({
      claims: [claim({ "volume.kubernetes.io/selected-node": "n1" })],
    });
    await provisioner.sync("claim:ns/data");
    await provisioner.events.flush();
    const created = fake.actions.find((a) => a.path === "/api/v1/persistentvolumes")?.body;
    expect(created?.metadata?.name).toBe("pvc-1234");
    expect(created?.metadata?.annotations?.["pv.kubernetes.io/provisioned-by"]).toBe(
      "rancher.io/local-path",
    );
    expect(created?.spec).toEqual({
      claimRef: {
        kind: "PersistentVolumeClaim",
        namespace: "ns",
        name: "data",
        uid: "1234",
        apiVersion: "v1",
        resourceVersion: "9",
      },
      storageClassName: "local-path",
      persistentVolumeReclaimPolicy: "Delete",
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Filesystem",
      capacity: { storage: "2Gi" },
      hostPath: { path: "/var/lib/kubun/storage/pvc-1234_ns_data", type: "DirectoryOrCreate" },
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
    const reasons = fake.actions
      .filter((a) => a.path.endsWith("/events"))
      .map((a) => a.body?.reason);
    expect(reasons).toEqual(["Provisioning", "ProvisioningSucceeded"]);
  });

  test("refuses claims without a selected node or with shared access modes", async () => {
    const { fake, provisioner } = setUp({
      claims: [
        claim({}),
        {
          ...claim({ "volume.kubernetes.io/selected-node": "n1" }, ["ReadWriteMany"]),
          metadata: {
            ...claim({ "volume.kubernetes.io/selected-node": "n1" }).metadata,
            name: "shared",
          },
        },
      ],
    });
    await provisioner.sync("claim:ns/data");
    await provisioner.sync("claim:ns/shared");
    await provisioner.events.flush();
    expect(fake.writes().filter((w) => w.includes("persistentvolumes"))).toEqual([]);
    const messages = fake.actions
      .filter((a) => a.path.endsWith("/events"))
      .map((a) => a.body?.message);
    expect(messages).toEqual([
      "configuration error, no node was specified",
      "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes",
    ]);
  });

  test("removes a released volume's directory with a helper pod on its node, then the volume", async () => {
    const start = setUp({ volumes: [provisionedVolume("Released")] });
    await start.provisioner.sync("volume:pvc-1234");
    expect(start.fake.writes()).toEqual(["create /api/v1/namespaces/kube-system/pods"]);
    const helper = start.fake.actions[0]?.body as KubeObject;
    expect(helper.metadata?.name).toBe("helper-pod-delete-pvc-1234");
    expect(helper.spec).toMatchObject({
      nodeName: "n1",
      restartPolicy: "Never",
      containers: [{ command: ["rm", "-rf", "/data/pvc-1234_ns_data"] }],
      volumes: [{ name: "data", hostPath: { path: "/var/lib/kubun/storage" } }],
    });
    await start.provisioner.loop.stop();

    const done = { ...helper, status: { phase: "Succeeded" } };
    const finish = setUp({ volumes: [provisionedVolume("Released")], pods: [done] });
    await finish.provisioner.sync("volume:pvc-1234");
    expect(finish.fake.writes()).toEqual([
      "delete /api/v1/persistentvolumes/pvc-1234",
      "delete /api/v1/namespaces/kube-system/pods/helper-pod-delete-pvc-1234",
    ]);
  });

  test("a failed helper pod fails the deletion with an event and a retry", async () => {
    const failed = {
      metadata: {
        name: "helper-pod-delete-pvc-1234",
        namespace: "kube-system",
        creationTimestamp: "2024-01-01T00:00:00Z",
      },
      status: { phase: "Failed" },
    };
    const { fake, provisioner } = setUp({
      volumes: [provisionedVolume("Released")],
      pods: [failed],
    });
    await expect(provisioner.sync("volume:pvc-1234")).rejects.toThrow("failed to delete volume");
    await provisioner.events.flush();
    expect(fake.actions.find((a) => a.path.endsWith("/events"))?.body?.reason).toBe(
      "VolumeFailedDelete",
    );
  });

  test("leaves bound and Retain volumes alone", async () => {
    const bound = setUp({ volumes: [provisionedVolume("Bound")] });
    await bound.provisioner.sync("volume:pvc-1234");
    expect(bound.fake.writes()).toEqual([]);
  });
});

/**
 * Persistent volumes end to end on the server's own node agent, with real kubectl and
 * real processes writing to the volumes: a pre-created hostPath volume bound at once to
 * the smallest claim it fits, and kept (Released) after the claim goes; a claim without
 * a class getting the default local-path class, a volume provisioned on the node its
 * pod runs on, and the directory removed on that node once the claim is deleted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { until } from "../support/until.ts";

interface ObjectJson {
  metadata: {
    name: string;
    uid: string;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown> & {
    volumeName?: string;
    storageClassName?: string;
    nodeName?: string;
    claimRef?: { name?: string; uid?: string };
    hostPath?: { path: string; type?: string };
    nodeAffinity?: unknown;
    capacity?: Record<string, string>;
  };
  status?: { phase?: string };
}

let cluster: TestCluster;
let hostDir: string;

beforeAll(async () => {
  cluster = await startCluster({ agent: true });
  hostDir = await mkdtemp(join(tmpdir(), "kubun-pv-"));
  await chmod(hostDir, 0o755);
});

afterAll(async () => {
  await cluster?.stop();
  await rm(hostDir, { recursive: true, force: true });
});

async function get(kind: string, name: string): Promise<ObjectJson> {
  return JSON.parse(await cluster.ok(["get", kind, name, "-o", "json"])) as ObjectJson;
}

async function getIfExists(kind: string, name: string): Promise<ObjectJson | undefined> {
  const result = await cluster.kubectl(["get", kind, name, "-o", "json", "--ignore-not-found"]);
  return result.stdout.trim() ? (JSON.parse(result.stdout) as ObjectJson) : undefined;
}

const apply = (objects: unknown[]) =>
  cluster.ok(["apply", "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
  });

function writerPod(name: string, claim: string, text: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      restartPolicy: "Never",
      containers: [
        {
          name: "writer",
          image: "busybox",
          command: ["sh", "-c", `echo ${text} > /data/hello`],
          volumeMounts: [{ name: "data", mountPath: "/data" }],
        },
      ],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: claim } }],
    },
  };
}

function hostPathVolume(name: string, size: string) {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, labels: { tier: "manual" } },
    spec: {
      storageClassName: "manual",
      capacity: { storage: size },
      accessModes: ["ReadWriteOnce"],
      hostPath: { path: join(hostDir, name), type: "DirectoryOrCreate" },
    },
  };
}

const succeeded = (pod: string) =>
  until(`pod ${pod} to succeed`, async () => {
    const phase = (await get("pod", pod)).status?.phase;
    if (phase === "Failed") throw new Error(`pod ${pod} failed`);
    return phase === "Succeeded" ? true : undefined;
  });

describe("PersistentVolume binding", () => {
  test("binds a claim to the smallest pre-created volume that fits and keeps it when released", async () => {
    await apply([
      hostPathVolume("pv-large", "5Gi"),
      hostPathVolume("pv-small", "1Gi"),
      hostPathVolume("pv-tiny", "100Mi"),
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "manual", namespace: "default" },
        spec: {
          storageClassName: "manual",
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "500Mi" } },
        },
      },
    ]);
    const claim = await until("the claim to be Bound", async () => {
      const c = await get("pvc", "manual");
      return c.status?.phase === "Bound" ? c : undefined;
    });
    expect(claim.spec.volumeName).toBe("pv-small");
    expect(claim.metadata.annotations).toMatchObject({
      "pv.kubernetes.io/bind-completed": "yes",
      "pv.kubernetes.io/bound-by-controller": "yes",
    });
    const volume = await until("the volume to be Bound", async () => {
      const v = await get("pv", "pv-small");
      return v.status?.phase === "Bound" ? v : undefined;
    });
    expect(volume.spec.claimRef).toMatchObject({ name: "manual", uid: claim.metadata.uid });
    expect((await get("pv", "pv-large")).status?.phase).toBe("Available");

    await apply([writerPod("manual-writer", "manual", "retained")]);
    await succeeded("manual-writer");
    expect(await readFile(join(hostDir, "pv-small", "hello"), "utf8")).toBe("retained\n");

    await cluster.ok(["delete", "pod", "manual-writer", "--wait=true"]);
    await cluster.ok(["delete", "pvc", "manual", "--wait=true"]);
    await until("the volume to be Released", async () =>
      (await get("pv", "pv-small")).status?.phase === "Released" ? true : undefined,
    );
    // Retain: the data stays.
    expect(await readFile(join(hostDir, "pv-small", "hello"), "utf8")).toBe("retained\n");
  });

  test("provisions a local-path volume on the pod's node for a claim without a class", async () => {
    const classes = await cluster.ok(["get", "storageclass"]);
    expect(classes).toMatch(
      /local-path \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer/,
    );
    await apply([
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data", namespace: "default" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "64Mi" } } },
      },
    ]);
    const pending = await get("pvc", "data");
    expect(pending.spec.storageClassName).toBe("local-path");
    await until("the WaitForFirstConsumer event", async () => {
      const events = await cluster.ok([
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=data,reason=WaitForFirstConsumer",
        "-o",
        "name",
      ]);
      return events.trim() ? true : undefined;
    });
    expect((await get("pvc", "data")).status?.phase).toBe("Pending");

    await apply([writerPod("writer", "data", "provisioned")]);
    const node = await until("the pod to be scheduled", async () => {
      const pod = await get("pod", "writer");
      return pod.spec.nodeName || undefined;
    });
    // The scheduler named the node on the claim before it bound the pod.
    const scheduled = await get("pvc", "data");
    expect(scheduled.metadata.annotations?.["volume.kubernetes.io/selected-node"]).toBe(node);
    const claim = await until("the claim to be Bound", async () => {
      const c = await get("pvc", "data");
      return c.status?.phase === "Bound" ? c : undefined;
    });
    const volumeName = `pvc-${claim.metadata.uid}`;
    expect(claim.spec.volumeName).toBe(volumeName);
    expect(claim.metadata.annotations?.["volume.kubernetes.io/storage-provisioner"]).toBe(
      "rancher.io/local-path",
    );
    const volume = await get("pv", volumeName);
    const directory = `/var/lib/kubun/storage/${volumeName}_default_data`;
    expect(volume.spec.hostPath).toEqual({ path: directory, type: "DirectoryOrCreate" });
    expect(volume.spec.capacity).toEqual({ storage: "64Mi" });
    expect(volume.spec.persistentVolumeReclaimPolicy).toBe("Delete");
    expect(volume.spec.nodeAffinity).toEqual({
      required: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: "kubernetes.io/hostname", operator: "In", values: [expect.any(String)] },
            ],
          },
        ],
      },
    });
    expect(volume.metadata.annotations?.["pv.kubernetes.io/provisioned-by"]).toBe(
      "rancher.io/local-path",
    );

    await succeeded("writer");
    expect(await readFile(join(directory, "hello"), "utf8")).toBe("provisioned\n");

    await cluster.ok(["delete", "pod", "writer", "--wait=true"]);
    await cluster.ok(["delete", "pvc", "data", "--wait=true"]);
    await until("the provisioned volume to be deleted", async () =>
      (await getIfExists("pv", volumeName)) === undefined ? true : undefined,
    );
    const left = await stat(directory).catch(() => undefined);
    expect(left).toBeUndefined();
  });

  test("a StatefulSet gets a claim per pod from its templates, kept when it scales down", async () => {
    await apply([
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "db", namespace: "default" },
        spec: {
          serviceName: "db",
          replicas: 2,
          selector: { matchLabels: { app: "db" } },
          template: {
            metadata: { labels: { app: "db" } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: "db",
                  image: "busybox",
                  command: ["sh", "-c", "echo $POD_NAME > /data/owner; exec sleep 3600"],
                  env: [
                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  ],
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: "16Mi" } },
              },
            },
          ],
        },
      },
    ]);
    try {
      await until("db-0 and db-1 to be ready", async () => {
        const sts = await get("statefulset", "db");
        return (sts.status as { readyReplicas?: number } | undefined)?.readyReplicas === 2
          ? true
          : undefined;
      });
      for (const ordinal of [0, 1]) {
        const claim = await get("pvc", `data-db-${ordinal}`);
        expect(claim.status?.phase).toBe("Bound");
        expect(claim.spec.storageClassName).toBe("local-path");
        const volume = await get("pv", claim.spec.volumeName ?? "");
        const owner = await readFile(join(volume.spec.hostPath?.path ?? "", "owner"), "utf8");
        expect(owner).toBe(`db-${ordinal}\n`);
      }
      await cluster.ok(["scale", "statefulset", "db", "--replicas=1"]);
      await until("db-1 to go", async () =>
        (await getIfExists("pod", "db-1")) === undefined ? true : undefined,
      );
      expect((await get("pvc", "data-db-1")).status?.phase).toBe("Bound");
    } finally {
      await cluster.kubectl(["delete", "statefulset", "db", "--ignore-not-found", "--wait=true"]);
      await until("the StatefulSet's pods to go", async () =>
        (await cluster.ok(["get", "pods", "-l", "app=db", "-o", "name"])).trim() === ""
          ? true
          : undefined,
      );
    }
  });
});

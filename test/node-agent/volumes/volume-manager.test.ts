import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { access, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type VolumeManager,
  VolumeSetUpError,
} from "../../../src/node-agent/volumes/volume-manager.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import {
  b64,
  dataDir,
  mountLine,
  podWith,
  read,
  thrownMessage,
  type VolumeFixture,
  visibleNames,
  volumeFixture,
} from "./volume-fixtures.ts";

const namespace = "volumes";
let fx: VolumeFixture;
let volumes: VolumeManager;
const pod = (list: Record<string, unknown>[], extra?: Parameters<typeof podWith>[2]) =>
  podWith(namespace, list, extra);
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  fx = await volumeFixture(namespace);
  volumes = fx.manager({ nodeAllocatable: { cpu: "4", memory: "8Gi" } });
  await fx.client.create(fx.path("configmaps"), {
    metadata: { name: "settings" },
    data: { "app.conf": "color=blue\n", "extra.conf": "x=1\n", unused: "u" },
    binaryData: { "logo.bin": Buffer.from([0, 1, 2, 255]).toString("base64") },
  });
  await fx.client.create(fx.path("secrets"), {
    metadata: { name: "credentials" },
    data: { username: b64("admin"), password: b64("p@ss") },
  });
}, 90_000);
afterAll(() => fx.stop());

describe("configMap volumes", () => {
  test("every key (data and binaryData) with the default mode 0644", async () => {
    const p = pod([{ name: "cfg", configMap: { name: "settings" } }]);
    const dir = (await volumes.setUp(p)).get("cfg") as string;
    expect(dir).toBe(
      join(fx.podsDir, p.metadata?.uid as string, "volumes/kubernetes.io~configmap/cfg"),
    );
    expect(await visibleNames(dir)).toEqual(["app.conf", "extra.conf", "logo.bin", "unused"]);
    expect(await read(join(dir, "app.conf"))).toBe("color=blue\n");
    expect([...(await Bun.file(join(dir, "logo.bin")).bytes())]).toEqual([0, 1, 2, 255]);
    expect((await stat(join(dir, "app.conf"))).mode & 0o777).toBe(0o644);
  });

  test("items pick keys, paths and modes; defaultMode covers the rest", async () => {
    const p = pod([
      {
        name: "cfg",
        configMap: {
          name: "settings",
          defaultMode: 0o640,
          items: [
            { key: "app.conf", path: "conf/app.conf", mode: 0o600 },
            { key: "extra.conf", path: "extra" },
          ],
        },
      },
    ]);
    const dir = (await volumes.setUp(p)).get("cfg") as string;
    expect(await visibleNames(dir)).toEqual(["conf", "extra"]);
    expect(await read(join(dir, "conf/app.conf"))).toBe("color=blue\n");
    expect((await stat(join(dir, "conf/app.conf"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "extra"))).mode & 0o777).toBe(0o640);
  });

  test("updates are atomic: new content behind a new ..data, old dir and names gone", async () => {
    await fx.client.create(fx.path("configmaps"), {
      metadata: { name: "live" },
      data: { a: "one", b: "two" },
    });
    const p = pod([{ name: "live", configMap: { name: "live" } }]);
    const dir = (await volumes.setUp(p)).get("live") as string;
    const before = await dataDir(dir);
    await volumes.refresh(p);
    expect(await dataDir(dir)).toBe(before);

    const current = await fx.client.get<KubeObject>(fx.path("configmaps", "live"));
    await fx.client.update(fx.path("configmaps", "live"), {
      ...current,
      data: { a: "uno", c: "tres" },
    });
    await volumes.refresh(p);
    const after = await dataDir(dir);
    expect(after).not.toBe(before);
    expect(await read(join(dir, "a"))).toBe("uno");
    expect(await read(join(dir, "c"))).toBe("tres");
    expect(await visibleNames(dir)).toEqual(["a", "c"]);
    expect(await exists(join(dir, before))).toBe(false);
    expect((await readdir(dir)).filter((n) => n.startsWith("..") && n !== "..data")).toEqual([
      after,
    ]);
  });

  test("a missing configMap fails like the kubelet; an optional one is an empty volume", async () => {
    const failing = pod([{ name: "cfg", configMap: { name: "missing" } }]);
    const error = await volumes.setUp(failing).catch((e) => e);
    expect(error).toBeInstanceOf(VolumeSetUpError);
    expect(error.message).toBe(
      'MountVolume.SetUp failed for volume "cfg" : configmap "missing" not found',
    );

    const optional = pod([{ name: "cfg", configMap: { name: "later", optional: true } }]);
    const dir = (await volumes.setUp(optional)).get("cfg") as string;
    expect(await visibleNames(dir)).toEqual([]);
    expect(await exists(join(dir, "..data"))).toBe(true);
    // Once it exists, a refresh projects it, as the kubelet's periodic remount does.
    await fx.client.create(fx.path("configmaps"), {
      metadata: { name: "later" },
      data: { k: "v" },
    });
    await volumes.refresh(optional);
    expect(await read(join(dir, "k"))).toBe("v");
  });

  test("an item naming a missing key fails unless the source is optional", async () => {
    const items = [
      { key: "nope", path: "nope" },
      { key: "unused", path: "u" },
    ];
    expect(
      await thrownMessage(
        volumes.setUp(pod([{ name: "c", configMap: { name: "settings", items } }])),
      ),
    ).toBe(
      'MountVolume.SetUp failed for volume "c" : configmap references non-existent config key: nope',
    );
    const p = pod([{ name: "c", configMap: { name: "settings", items, optional: true } }]);
    const dir = (await volumes.setUp(p)).get("c") as string;
    expect(await visibleNames(dir)).toEqual(["u"]);
  });
});

describe("secret volumes", () => {
  test("decoded keys with items and modes, on tmpfs", async () => {
    const p = pod([
      {
        name: "creds",
        secret: {
          secretName: "credentials",
          defaultMode: 0o400,
          items: [
            { key: "password", path: "pw" },
            { key: "username", path: "user", mode: 0o444 },
          ],
        },
      },
    ]);
    const dir = (await volumes.setUp(p)).get("creds") as string;
    expect(dir).toEndWith("volumes/kubernetes.io~secret/creds");
    expect(await read(join(dir, "pw"))).toBe("p@ss");
    expect(await read(join(dir, "user"))).toBe("admin");
    expect((await stat(join(dir, "pw"))).mode & 0o777).toBe(0o400);
    expect((await stat(join(dir, "user"))).mode & 0o777).toBe(0o444);
    expect((await mountLine(dir))?.split(" ")[2]).toBe("tmpfs");
    await volumes.tearDown(p.metadata?.uid as string);
  });

  test("missing secrets, keys and optional ones", async () => {
    expect(
      await thrownMessage(volumes.setUp(pod([{ name: "s", secret: { secretName: "gone" } }]))),
    ).toBe('MountVolume.SetUp failed for volume "s" : secret "gone" not found');
    const items = [{ key: "token", path: "token" }];
    expect(
      await thrownMessage(
        volumes.setUp(pod([{ name: "s", secret: { secretName: "credentials", items } }])),
      ),
    ).toBe('MountVolume.SetUp failed for volume "s" : references non-existent secret key: token');
    const p = pod([{ name: "s", secret: { secretName: "gone", optional: true } }]);
    const dir = (await volumes.setUp(p)).get("s") as string;
    expect(await visibleNames(dir)).toEqual([]);
    await volumes.tearDown(p.metadata?.uid as string);
  });

  test("every failing volume is reported, the others are still set up", async () => {
    const p = pod([
      { name: "a", secret: { secretName: "gone" } },
      { name: "b", emptyDir: {} },
      { name: "c", configMap: { name: "gone" } },
    ]);
    const error = (await volumes.setUp(p).catch((e) => e)) as VolumeSetUpError;
    expect(error.failures.map((f) => f.volume)).toEqual(["a", "c"]);
    expect(error.message).toBe(
      'MountVolume.SetUp failed for volume "a" : secret "gone" not found; MountVolume.SetUp failed for volume "c" : configmap "gone" not found',
    );
    expect(
      await exists(
        join(volumes.podVolumesDir(p.metadata?.uid as string), "kubernetes.io~empty-dir/b"),
      ),
    ).toBe(true);
  });
});

describe("downwardAPI volumes", () => {
  test("pod fields and container resources, refreshed when the pod changes", async () => {
    const p = pod(
      [
        {
          name: "info",
          downwardAPI: {
            items: [
              { path: "name", fieldRef: { fieldPath: "metadata.name" } },
              { path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } },
              { path: "uid", fieldRef: { fieldPath: "metadata.uid" } },
              { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
              { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" }, mode: 0o600 },
              { path: "app", fieldRef: { fieldPath: "metadata.labels['app']" } },
              { path: "node", fieldRef: { fieldPath: "spec.nodeName" } },
              {
                path: "limits/memory",
                resourceFieldRef: {
                  containerName: "main",
                  resource: "limits.memory",
                  divisor: "1Mi",
                },
              },
              {
                path: "limits/cpu",
                resourceFieldRef: { containerName: "main", resource: "limits.cpu", divisor: "1m" },
              },
            ],
          },
        },
      ],
      {
        labels: { app: "demo", tier: "back" },
        containers: [
          { name: "main", image: "busybox", resources: { limits: { memory: "256Mi" } } },
        ],
      },
    );
    const dir = (await volumes.setUp(p)).get("info") as string;
    expect(dir).toEndWith("volumes/kubernetes.io~downward-api/info");
    expect(await read(join(dir, "name"))).toBe(p.metadata?.name as string);
    expect(await read(join(dir, "namespace"))).toBe(namespace);
    expect(await read(join(dir, "uid"))).toBe(p.metadata?.uid as string);
    expect(await read(join(dir, "labels"))).toBe('app="demo"\ntier="back"');
    expect(await read(join(dir, "annotations"))).toBe('note="say \\"hi\\""');
    expect((await stat(join(dir, "annotations"))).mode & 0o777).toBe(0o600);
    expect(await read(join(dir, "app"))).toBe("demo");
    expect(await read(join(dir, "node"))).toBe("node-a");
    expect(await read(join(dir, "limits/memory"))).toBe("256");
    // No cpu limit: the node's allocatable.
    expect(await read(join(dir, "limits/cpu"))).toBe("4000");

    const relabelled = structuredClone(p);
    (relabelled.metadata as { labels: Record<string, string> }).labels = { app: "demo2" };
    await volumes.refresh(relabelled);
    expect(await read(join(dir, "labels"))).toBe('app="demo2"');
    expect(await read(join(dir, "app"))).toBe("demo2");
  });
});

describe("emptyDir volumes", () => {
  test("a world-writable directory on disk", async () => {
    const p = pod([{ name: "scratch", emptyDir: {} }]);
    const dir = (await volumes.setUp(p)).get("scratch") as string;
    expect(dir).toEndWith("volumes/kubernetes.io~empty-dir/scratch");
    expect((await stat(dir)).mode & 0o777).toBe(0o777);
    expect(await mountLine(dir)).toBeUndefined();
  });

  test("medium Memory is a tmpfs, sized by sizeLimit; set-up is idempotent", async () => {
    const p = pod([{ name: "cache", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }]);
    const dir = (await volumes.setUp(p)).get("cache") as string;
    const line = (await mountLine(dir)) ?? "";
    expect(line.split(" ")[2]).toBe("tmpfs");
    expect(line).toContain("size=65536k");
    await Bun.write(join(dir, "kept"), "data");
    await volumes.setUp(p);
    expect(await read(join(dir, "kept"))).toBe("data");
    const mounts = (await Bun.file("/proc/self/mounts").text()).split("\n");
    expect(mounts.filter((l) => l.split(" ")[1] === dir)).toHaveLength(1);
  });

  test("without sizeLimit the pod's memory limit bounds the tmpfs", async () => {
    const p = pod([{ name: "cache", emptyDir: { medium: "Memory" } }], {
      containers: [{ name: "main", resources: { limits: { memory: "32Mi" } } }],
    });
    const dir = (await volumes.setUp(p)).get("cache") as string;
    expect(await mountLine(dir)).toContain("size=32768k");
    await volumes.tearDown(p.metadata?.uid as string);
  });
});

describe("persistentVolumeClaim volumes", () => {
  let hostDir = "";
  beforeAll(async () => {
    hostDir = await mkdtemp(join(tmpdir(), "pv-"));
  });
  afterAll(() => rm(hostDir, { recursive: true, force: true }));

  async function claim(name: string, volumeName: string, bound: boolean): Promise<KubeObject> {
    const created = await fx.client.create<KubeObject>(fx.path("persistentvolumeclaims"), {
      metadata: { name },
      spec: {
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "1Gi" } },
        volumeName,
      },
    });
    if (!bound) return created;
    return fx.client.updateStatus(fx.path("persistentvolumeclaims", name), {
      ...created,
      status: { phase: "Bound" },
    });
  }

  async function volume(name: string, claimUid: string, source: Record<string, unknown>) {
    await fx.client.create(resourcePath("persistentvolumes"), {
      metadata: { name },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteOnce"],
        claimRef: { namespace, name: name.replace("pv", "pvc"), uid: claimUid },
        ...source,
      },
    });
  }

  test("a bound claim is its PersistentVolume's host path", async () => {
    const bound = await claim("pvc-a", "pv-a", true);
    await volume("pv-a", bound.metadata?.uid as string, {
      hostPath: { path: join(hostDir, "a"), type: "DirectoryOrCreate" },
    });
    const p = pod([{ name: "data", persistentVolumeClaim: { claimName: "pvc-a" } }]);
    expect((await volumes.setUp(p)).get("data")).toBe(join(hostDir, "a"));
    expect((await stat(join(hostDir, "a"))).isDirectory()).toBe(true);
  });

  test("an unbound claim or a PV bound elsewhere fails", async () => {
    await claim("pvc-b", "pv-b", false);
    const pending = pod([{ name: "data", persistentVolumeClaim: { claimName: "pvc-b" } }]);
    expect(await thrownMessage(volumes.setUp(pending))).toBe(
      `MountVolume.SetUp failed for volume "data" : PVC ${namespace}/pvc-b has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("pv-b")`,
    );
    await claim("pvc-c", "pv-c", true);
    await volume("pv-c", "someone-else", { hostPath: { path: hostDir } });
    const elsewhere = pod([{ name: "data", persistentVolumeClaim: { claimName: "pvc-c" } }]);
    expect(await thrownMessage(volumes.setUp(elsewhere))).toContain(
      'found PV object "pv-c" but its pv.Spec.ClaimRef.UID ("someone-else") does not point to claim.UID',
    );
    const missing = pod([{ name: "data", persistentVolumeClaim: { claimName: "nothing" } }]);
    expect(await thrownMessage(volumes.setUp(missing))).toContain(
      `failed to fetch PVC ${namespace}/nothing from API server`,
    );
  });

  test("a local PersistentVolume is its path", async () => {
    const bound = await claim("pvc-d", "pv-d", true);
    await volume("pv-d", bound.metadata?.uid as string, {
      local: { path: hostDir },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: "kubernetes.io/hostname", operator: "In", values: ["node-a"] },
              ],
            },
          ],
        },
      },
    });
    const p = pod([{ name: "data", persistentVolumeClaim: { claimName: "pvc-d" } }]);
    expect((await volumes.setUp(p)).get("data")).toBe(hostDir);
  });
});

describe("tearDown", () => {
  test("unmounts tmpfs volumes and removes the pod's directories", async () => {
    const p = pod([
      { name: "mem", emptyDir: { medium: "Memory" } },
      { name: "disk", emptyDir: {} },
      { name: "creds", secret: { secretName: "credentials" } },
      { name: "cfg", configMap: { name: "settings" } },
    ]);
    const uid = p.metadata?.uid as string;
    const paths = await volumes.setUp(p);
    await Bun.write(join(paths.get("disk") as string, "f"), "x");
    expect(await mountLine(paths.get("mem") as string)).toBeDefined();
    await volumes.tearDown(uid);
    for (const path of paths.values()) expect(await mountLine(path)).toBeUndefined();
    expect(await exists(join(fx.podsDir, uid))).toBe(false);
    // Nothing left to do the second time; a refresh after tear-down recreates nothing.
    await volumes.tearDown(uid);
    await volumes.refresh(p);
    expect(await exists(join(fx.podsDir, uid))).toBe(false);
  });

  test("a new manager (a restarted agent) still unmounts what an earlier one mounted", async () => {
    const p = pod([{ name: "mem", emptyDir: { medium: "Memory" } }]);
    const dir = (await volumes.setUp(p)).get("mem") as string;
    await fx.manager().tearDown(p.metadata?.uid as string);
    expect(await mountLine(dir)).toBeUndefined();
  });
});

describe("input checks", () => {
  test("unsupported volume types and bad uids are refused", async () => {
    expect(
      await thrownMessage(volumes.setUp(pod([{ name: "n", nfs: { server: "x", path: "/" } }]))),
    ).toBe(
      'MountVolume.SetUp failed for volume "n" : volume type "nfs" is not supported by this node',
    );
    expect(await thrownMessage(volumes.tearDown("../etc"))).toBe('invalid pod uid "../etc"');
  });
});

function resourcePath(resource: string): string {
  return `/api/v1/${resource}`;
}

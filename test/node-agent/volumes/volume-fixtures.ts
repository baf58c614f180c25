/** Shared set-up for the VolumeManager suites: a cluster, a namespace, a pods dir. */
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../../../src/client/api-client.ts";
import { loadKubeConfig } from "../../../src/client/kube-config.ts";
import { resourcePath } from "../../../src/client/resource-path.ts";
import { Logger } from "../../../src/log/logger.ts";
import {
  VolumeManager,
  type VolumeManagerOptions,
} from "../../../src/node-agent/volumes/volume-manager.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { startCluster, type TestCluster } from "../../support/cluster.ts";

export interface VolumeFixture {
  cluster: TestCluster;
  client: ApiClient;
  namespace: string;
  podsDir: string;
  manager(options?: Partial<VolumeManagerOptions>): VolumeManager;
  path(resource: string, name?: string): string;
  stop(): Promise<void>;
}

export async function volumeFixture(namespace: string): Promise<VolumeFixture> {
  // The tests set claims' and volumes' binding by hand, including states the binder
  // would correct at once: it does not run here.
  const cluster = await startCluster({
    args: ["--controllers", "*,-persistentvolume-binder,-local-path-provisioner"],
  });
  const client = new ApiClient(await loadKubeConfig(cluster.kubeconfig));
  await client.create(resourcePath({ version: "v1", resource: "namespaces" }), {
    metadata: { name: namespace },
  });
  const podsDir = await mkdtemp(join(tmpdir(), "kubun-pods-"));
  const manager = (options: Partial<VolumeManagerOptions> = {}) =>
    new VolumeManager({
      podsDir,
      client,
      nodeName: "node-a",
      log: new Logger("test/volumes"),
      ...options,
    });
  return {
    cluster,
    client,
    namespace,
    podsDir,
    manager,
    path: (resource, name) =>
      resourcePath({ version: "v1", resource, namespace, ...(name ? { name } : {}) }),
    async stop() {
      // Unmount whatever a test left mounted before the directory goes.
      const cleaner = manager();
      for (const uid of await readdir(podsDir)) await cleaner.tearDown(uid);
      await cluster.stop();
      await rm(podsDir, { recursive: true, force: true });
    },
  };
}

/** A pod object (not created in the API) with fresh uid and the given volumes. */
export function podWith(
  namespace: string,
  volumes: Record<string, unknown>[],
  extra: { containers?: Record<string, unknown>[]; labels?: Record<string, string> } = {},
): KubeObject {
  return {
    metadata: {
      name: `pod-${randomUUID().slice(0, 8)}`,
      namespace,
      uid: randomUUID(),
      labels: extra.labels ?? { app: "demo" },
      annotations: { note: 'say "hi"' },
    },
    spec: {
      nodeName: "node-a",
      containers: extra.containers ?? [{ name: "main", image: "busybox" }],
      volumes,
    },
  };
}

export async function thrownMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

/** The user-visible names of an atomic-writer volume (the `..` entries aside). */
export async function visibleNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => !name.startsWith("..")).sort();
}

export const dataDir = (dir: string) => readlink(join(dir, "..data"));
export const read = (path: string) => readFile(path, "utf8");
export const b64 = (value: string) => Buffer.from(value).toString("base64");

/** The /proc/self/mounts line for a mount point, if mounted. */
export async function mountLine(path: string): Promise<string | undefined> {
  const mounts = await readFile("/proc/self/mounts", "utf8");
  return mounts.split("\n").find((line) => line.split(" ")[1] === path);
}

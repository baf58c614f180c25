import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logger } from "../../../src/log/logger.ts";
import {
  isMirrorPod,
  readManifestDir,
  StaticPods,
  staticPodFromManifest,
} from "../../../src/node-agent/pods/static-pods.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  containers:
    - name: main
      image: busybox
      command: ["sh", "-c", "sleep 3600"]
`;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kubun-static-"));
  dirs.push(dir);
  return dir;
}

describe("staticPodFromManifest", () => {
  const seen = new Date("2024-01-02T03:04:05Z");

  test("names the pod after the node, binds it and annotates its source", () => {
    const pod = staticPodFromManifest(manifest, "/etc/manifests/web.yaml", "node-a", seen);
    const uid = pod.metadata?.uid ?? "";
    expect(uid).toMatch(/^[0-9a-f]{32}$/);
    expect(pod.metadata).toMatchObject({
      name: "web-node-a",
      namespace: "default",
      labels: { app: "web" },
      annotations: {
        "kubernetes.io/config.source": "file",
        "kubernetes.io/config.hash": uid,
        "kubernetes.io/config.seen": "2024-01-02T03:04:05.000Z",
      },
    });
    expect(pod.spec).toMatchObject({ nodeName: "node-a", containers: [{ name: "main" }] });
    expect(isMirrorPod(pod)).toBe(false);
  });

  test("keeps an explicit namespace and reads JSON", () => {
    const json = JSON.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "db", namespace: "kube-system" },
      spec: { containers: [{ name: "c", command: ["true"] }] },
    });
    const pod = staticPodFromManifest(json, "db.json", "n1");
    expect(pod.metadata?.name).toBe("db-n1");
    expect(pod.metadata?.namespace).toBe("kube-system");
  });

  test("the uid follows the content, the node and the file, not the time read", () => {
    const uid = (text: string, file = "web.yaml", node = "node-a", at = seen) =>
      staticPodFromManifest(text, file, node, at).metadata?.uid;
    const base = uid(manifest);
    expect(uid(manifest, "web.yaml", "node-a", new Date())).toBe(base);
    expect(uid(manifest.replace("sleep 3600", "sleep 60"))).not.toBe(base);
    expect(uid(manifest, "web.yaml", "node-b")).not.toBe(base);
    expect(uid(manifest, "other.yaml")).not.toBe(base);
  });

  test("refuses what is not a pod with a name and containers", () => {
    expect(() => staticPodFromManifest("kind: Service\nmetadata: {name: x}", "f", "n")).toThrow(
      /expected kind Pod/,
    );
    expect(() => staticPodFromManifest("kind: Pod\nspec: {containers: [{}]}", "f", "n")).toThrow(
      /no metadata.name/,
    );
    expect(() => staticPodFromManifest("kind: Pod\nmetadata: {name: x}", "f", "n")).toThrow(
      /no containers/,
    );
    expect(() => staticPodFromManifest("- a\n- b", "f", "n")).toThrow(/expected a Pod/);
    expect(() => staticPodFromManifest("kind: [", "f", "n")).toThrow(/^f: /);
  });
});

describe("readManifestDir", () => {
  test("reads *.yaml, *.yml and *.json, skipping other and broken files and duplicates", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "a.yaml"), manifest);
    await writeFile(join(dir, "b.yml"), manifest.replace("name: web", "name: api"));
    await writeFile(
      join(dir, "c.json"),
      JSON.stringify({
        kind: "Pod",
        metadata: { name: "job" },
        spec: { containers: [{ name: "c" }] },
      }),
    );
    await writeFile(join(dir, "d.yaml"), manifest); // the same pod again
    await writeFile(join(dir, "e.yaml"), "kind: Pod\nmetadata: {name: broken}\n");
    await writeFile(join(dir, "notes.txt"), manifest.replace("name: web", "name: txt"));
    const pods = await readManifestDir(dir, "n", logger("test"));
    expect(pods.map((p) => p.metadata?.name)).toEqual(["web-n", "api-n", "job-n"]);
  });

  test("a missing directory holds no pods", async () => {
    expect(await readManifestDir("/nonexistent/kubun-static", "n", logger("test"))).toEqual([]);
  });
});

describe("StaticPods", () => {
  test("runs new manifests, replaces changed ones and stops removed ones", async () => {
    const dir = await tempDir();
    const running = new Map<string, KubeObject>();
    const statics = new StaticPods({
      dir,
      nodeName: "n",
      client: {} as never,
      log: logger("test"),
      intervalMs: 3_600_000,
      run: (pod) => running.set(pod.metadata?.uid ?? "", pod),
      stop: (uid) => running.delete(uid),
      apiPods: () => [],
    });
    await writeFile(join(dir, "web.yaml"), manifest);
    await statics.start();
    const [first] = [...running.values()];
    expect(first?.metadata?.name).toBe("web-n");
    expect(statics.owns(first as KubeObject)).toBe(true);

    const reread = (statics as unknown as { reread(): Promise<void> }).reread.bind(statics);
    await reread();
    expect([...running.values()]).toEqual([first as KubeObject]);

    await writeFile(join(dir, "web.yaml"), manifest.replace("sleep 3600", "sleep 60"));
    await reread();
    const [second] = [...running.values()];
    expect(running.size).toBe(1);
    expect(second?.metadata?.name).toBe("web-n");
    expect(second?.metadata?.uid).not.toBe(first?.metadata?.uid);

    await rm(join(dir, "web.yaml"));
    await reread();
    expect(running.size).toBe(0);
    statics.stop();
  });
});

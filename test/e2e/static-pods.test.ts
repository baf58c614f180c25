/**
 * Static pods end to end: a real `kubun server` and a real `kubun agent` with
 * `--pod-manifest-path` holding a busybox pod. The pod runs from the file, its
 * mirror pod shows it in the API (with its status and logs), a deleted mirror
 * pod comes back, and removing the file stops the pod and its mirror.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { agentCgroupParent, cgroupV1Mounts } from "../../src/node-agent/runtime/process/cgroups.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import { KubunProcess, runKubun } from "../support/kubun-process.ts";
import { until } from "../support/until.ts";

interface PodJson {
  metadata: {
    name: string;
    uid: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec: { nodeName?: string };
  status: { phase?: string };
}

const nodeName = "static-e2e";
const mirrorName = `web-${nodeName}`;
let cluster: TestCluster;
let agent: KubunProcess | undefined;
let dataDir = "";
let manifestDir = "";
const dirs: string[] = [];

/** The mirror pod, or undefined when there is none. */
async function mirror(): Promise<PodJson | undefined> {
  const result = await cluster.kubectl(["get", "pod", mirrorName, "-o", "json"]);
  if (result.code !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(result.stderr);
  }
  return JSON.parse(result.stdout) as PodJson;
}

const runningMirror = async () => {
  const pod = await mirror();
  return pod?.status.phase === "Running" && !("deletionTimestamp" in pod.metadata)
    ? pod
    : undefined;
};

const script = "while true; do echo static; sleep 1; done";

/** Host processes running the static pod's script. */
function staticProcesses(): string[] {
  return readdirSync("/proc").filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(script);
    } catch {
      return false;
    }
  });
}

const manifest = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web" },
  spec: {
    containers: [
      {
        name: "main",
        image: "busybox",
        command: ["sh", "-c", script],
      },
    ],
  },
};

beforeAll(async () => {
  cluster = await startCluster();
  const created = await runKubun(["token", "create", "--data-dir", cluster.dataDir]);
  const match = /--server (\S+) --token (\S+) --ca-cert-hash (\S+)/.exec(created.stdout);
  if (!match) throw new Error(`kubun token create printed ${created.stdout}${created.stderr}`);
  dataDir = await mkdtemp(join(tmpdir(), "kubun-static-agent-"));
  manifestDir = await mkdtemp(join(tmpdir(), "kubun-static-manifests-"));
  dirs.push(dataDir, manifestDir);
  await writeFile(join(manifestDir, "web.yaml"), JSON.stringify(manifest));
  agent = new KubunProcess([
    "agent",
    "--server",
    match[1] ?? "",
    "--token",
    match[2] ?? "",
    "--ca-cert-hash",
    match[3] ?? "",
    "--name",
    nodeName,
    "--data-dir",
    dataDir,
    "--port",
    String(await freePort()),
    "--node-ip",
    "127.0.0.1",
    "--pod-manifest-path",
    manifestDir,
  ]);
  await agent.waitFor(new RegExp(`ready: node ${nodeName} `));
});

afterAll(async () => {
  // Stopping an agent leaves its pods running: remove the manifest and see the pod gone first.
  if (agent && manifestDir) {
    await rm(join(manifestDir, "web.yaml"), { force: true });
    await until("the static pod to stop", async () =>
      (await mirror()) === undefined ? true : undefined,
    ).catch((error) => console.error(error));
    agent.kill("SIGTERM");
    await agent.exited();
    const mounts = cgroupV1Mounts(readFileSync("/proc/self/mounts", "utf8"));
    const parent = agentCgroupParent(resolve(join(dataDir, "runtime")));
    for (const mount of new Set(Object.values(mounts))) {
      const dir = join(mount, parent);
      if (existsSync(dir)) await rmdir(dir).catch(() => {});
    }
  }
  await cluster?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("static pods from --pod-manifest-path", () => {
  test("run on the node and show in the API as a Running mirror pod", async () => {
    const pod = await until("the mirror pod to run", runningMirror);
    expect(staticProcesses().length).toBeGreaterThan(0);
    expect(pod.spec.nodeName).toBe(nodeName);
    expect(pod.metadata.annotations?.["kubernetes.io/config.source"]).toBe("file");
    const hash = pod.metadata.annotations?.["kubernetes.io/config.hash"];
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(pod.metadata.annotations?.["kubernetes.io/config.mirror"]).toBe(hash as string);
    const node = JSON.parse(await cluster.ok(["get", "node", nodeName, "-o", "json"])) as PodJson;
    expect(pod.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Node", name: nodeName, uid: node.metadata.uid }),
    ]);
  });

  test("kubectl logs reads the static pod's output", async () => {
    await until("static in the logs", async () =>
      /static/.test(await cluster.ok(["logs", mirrorName])) ? true : undefined,
    );
  });

  test("a deleted mirror pod is recreated", async () => {
    const before = await until("the mirror pod to run", runningMirror);
    await cluster.ok(["delete", "pod", mirrorName, "--wait=false"]);
    const after = await until("a new mirror pod", async () => {
      const pod = await runningMirror();
      return pod && pod.metadata.uid !== before.metadata.uid ? pod : undefined;
    });
    // The same static pod (same hash): it kept running, and its logs still answer.
    expect(after.metadata.annotations?.["kubernetes.io/config.mirror"]).toBe(
      before.metadata.annotations?.["kubernetes.io/config.mirror"] as string,
    );
    expect(await cluster.ok(["logs", mirrorName])).toContain("static");
  });

  test("removing the manifest stops the pod and deletes its mirror", async () => {
    await until("the mirror pod to run", runningMirror);
    await rm(join(manifestDir, "web.yaml"));
    // The directory is re-read every 20 s.
    await until("the mirror pod to go", async () =>
      (await mirror()) === undefined ? true : undefined,
    );
    await until("the static pod's process to exit", async () =>
      staticProcesses().length === 0 ? true : undefined,
    );
  });
});

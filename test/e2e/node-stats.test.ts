/**
 * The Summary API through nodes/proxy: a real `kubun server`, a real
 * `kubun agent` running one pod, and the real kubectl reading
 * /api/v1/nodes/<node>/proxy/stats/summary.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import { KubunProcess, runKubun } from "../support/kubun-process.ts";
import { until } from "../support/until.ts";

interface Summary {
  node: {
    nodeName: string;
    startTime: string;
    cpu: { time: string; usageNanoCores?: number };
    memory: { time: string; workingSetBytes?: number; availableBytes?: number };
  };
  pods: {
    podRef: { name: string; namespace: string; uid: string };
    startTime: string;
    containers: {
      name: string;
      startTime: string;
      cpu: { time: string; usageNanoCores?: number };
      memory: { time: string; workingSetBytes?: number };
    }[];
    memory: { workingSetBytes?: number };
  }[];
}

const nodeName = "stats-e2e";
const podName = "stats-pod";
let cluster: TestCluster;
let agent: KubunProcess | undefined;
let dataDir = "";

const summaryPath = `/api/v1/nodes/${nodeName}/proxy/stats/summary`;

beforeAll(async () => {
  cluster = await startCluster();
  const created = await runKubun(["token", "create", "--data-dir", cluster.dataDir]);
  const joinCommand = /--server (\S+) --token (\S+) --ca-cert-hash (\S+)/.exec(created.stdout);
  if (!joinCommand)
    throw new Error(`kubun token create printed ${created.stdout}${created.stderr}`);
  dataDir = await mkdtemp(join(tmpdir(), "kubun-stats-agent-"));
  agent = new KubunProcess([
    "agent",
    "--server",
    joinCommand[1] ?? "",
    "--token",
    joinCommand[2] ?? "",
    "--ca-cert-hash",
    joinCommand[3] ?? "",
    "--name",
    nodeName,
    "--data-dir",
    dataDir,
    "--port",
    String(await freePort()),
    "--node-ip",
    "127.0.0.1",
  ]);
  await agent.waitFor(new RegExp(`ready: node ${nodeName} `));
  const manifest = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: podName, namespace: "default" },
    spec: {
      nodeName,
      containers: [
        { name: "main", image: "busybox", command: ["sh", "-c", "while true; do sleep 1; done"] },
      ],
    },
  };
  await cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(manifest) });
  await until(`pod ${podName} Running`, async () => {
    const pod = JSON.parse(await cluster.ok(["get", "pod", podName, "-o", "json"]));
    return pod.status?.phase === "Running" ? true : undefined;
  });
  // A user who may get nodes but not nodes/proxy.
  await cluster.ok(["create", "clusterrole", "node-reader", "--verb=get", "--resource=nodes"]);
  await cluster.ok([
    "create",
    "clusterrolebinding",
    "node-reader",
    "--clusterrole=node-reader",
    "--user=node-reader",
  ]);
}, 120_000);

afterAll(async () => {
  if (cluster) {
    await cluster
      .kubectl(["delete", "pod", podName, "--ignore-not-found", "--wait=false"])
      .catch(() => {});
    await until(`pod ${podName} to be gone`, async () => {
      const left = await cluster.ok(["get", "pods", "-o", "name"]);
      return left.split("\n").includes(`pod/${podName}`) ? undefined : true;
    }).catch(() => {});
  }
  if (agent) {
    agent.kill("SIGTERM");
    await agent.exited();
  }
  await cluster?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 120_000);

describe("nodes/proxy", () => {
  test("stats/summary: node memory and the pod's container memory", async () => {
    const summary = await until("the pod's container memory in the summary", async () => {
      const raw = await cluster.ok(["get", "--raw", summaryPath]);
      const parsed = JSON.parse(raw) as Summary;
      const pod = parsed.pods.find((p) => p.podRef.name === podName);
      const container = pod?.containers.find((c) => c.name === "main");
      return (container?.memory.workingSetBytes ?? 0) > 0 ? parsed : undefined;
    });
    expect(summary.node.nodeName).toBe(nodeName);
    expect(summary.node.memory.workingSetBytes).toBeGreaterThan(0);
    expect(summary.node.memory.availableBytes).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(summary.node.startTime))).toBe(false);
    const pod = summary.pods.find((p) => p.podRef.name === podName);
    expect(pod?.podRef.namespace).toBe("default");
    expect(pod?.podRef.uid).toBe(
      await cluster.ok(["get", "pod", podName, "-o", "jsonpath={.metadata.uid}"]),
    );
    expect(pod?.memory.workingSetBytes).toBeGreaterThan(0);
  });

  test("other agent paths pass through: healthz", async () => {
    expect(await cluster.ok(["get", "--raw", `/api/v1/nodes/${nodeName}/proxy/healthz`])).toBe(
      "ok",
    );
  });

  test("a user without get on nodes/proxy is forbidden", async () => {
    const denied = await cluster.kubectl(["get", "--raw", summaryPath, "--as=node-reader"]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("Forbidden");
    expect(denied.stderr).toContain('cannot get resource "nodes/proxy"');
  });
});

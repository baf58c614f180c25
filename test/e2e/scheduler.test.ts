/**
 * The scheduler end to end: a real `kubun server` (no node agent of its own) started with
 * a --scheduler-config of two profiles, and hollow nodes (4 cpu each) labelled and
 * tainted by kubectl. Three nodes first (a tainted control plane and two workers) for the
 * exact FailedScheduling messages, then five more for pod (anti-)affinity, topology
 * spread, taints and preemption.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { startHollow, stopHollow } from "../support/hollow.ts";
import type { KubunProcess } from "../support/kubun-process.ts";
import { runKubun } from "../support/kubun-process.ts";
import { until } from "../support/until.ts";

let cluster: TestCluster;
let configDir: string;
const fleets: KubunProcess[] = [];

const CONTROL_PLANE_TAINT =
  "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";

const schedulerConfig = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
  - schedulerName: no-taints
    plugins:
      multiPoint:
        disabled:
          - name: TaintToleration
`;

interface PodJson {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: {
    nominatedNodeName?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

async function createPods(
  pods: {
    name: string;
    spec?: Record<string, unknown>;
    labels?: Record<string, string>;
    cpu?: string;
  }[],
) {
  const items = pods.map((p) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: p.name, namespace: "default", labels: p.labels ?? {} },
    spec: {
      containers: [
        { name: "c", image: "busybox", resources: { requests: { cpu: p.cpu ?? "100m" } } },
      ],
      ...(p.spec ?? {}),
    },
  }));
  await cluster.ok(["create", "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "List", items }),
  });
}

async function getPod(name: string): Promise<PodJson> {
  return JSON.parse(await cluster.ok(["get", "pod", name, "-o", "json"])) as PodJson;
}

async function nodeOf(pod: string): Promise<string> {
  return until(`${pod} to be bound`, async () => (await getPod(pod)).spec.nodeName || undefined);
}

async function eventsFor(
  pod: string,
): Promise<{ reason: string; message: string; source?: { component?: string } }[]> {
  const out = await cluster.ok([
    "get",
    "events",
    "--field-selector",
    `involvedObject.name=${pod}`,
    "-o",
    "json",
  ]);
  return (JSON.parse(out) as { items: { reason: string; message: string }[] }).items;
}

async function failure(pod: string): Promise<string> {
  const event = await until(`FailedScheduling for ${pod}`, async () =>
    (await eventsFor(pod)).find((e) => e.reason === "FailedScheduling"),
  );
  return event.message;
}

const selector = (labels: Record<string, string>) => ({ nodeSelector: labels });
const hostname = (node: string) => selector({ "kubernetes.io/hostname": node });

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), "kubun-scheduler-config-"));
  const file = join(configDir, "scheduler.yaml");
  await writeFile(file, schedulerConfig);
  cluster = await startCluster({ args: ["--scheduler-config", file] });
  fleets.push(await startHollow(cluster, { count: 3, namePrefix: "base-" }));
  await cluster.ok(["taint", "node", "base-0", "node-role.kubernetes.io/control-plane:NoSchedule"]);
  await cluster.ok(["label", "node", "base-1", "disk=ssd", "zone=a"]);
  await cluster.ok(["label", "node", "base-2", "zone=b"]);
}, 120_000);

afterAll(async () => {
  for (const fleet of fleets) await stopHollow(fleet);
  await cluster?.stop();
  await rm(configDir, { recursive: true, force: true });
});

describe("scheduler on three nodes", () => {
  test("binds a pod without a node to a fitting node and records Scheduled", async () => {
    await createPods([{ name: "plain" }]);
    const node = await nodeOf("plain");
    expect(["base-1", "base-2"]).toContain(node);
    const event = await until("Scheduled event", async () =>
      (await eventsFor("plain")).find((e) => e.reason === "Scheduled"),
    );
    expect(event.message).toBe(`Successfully assigned default/plain to ${node}`);
  });

  test("an oversized pod gets upstream's exact FailedScheduling message and condition", async () => {
    await createPods([{ name: "huge", cpu: "64" }]);
    const message = `0/3 nodes are available: 1 ${CONTROL_PLANE_TAINT}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`;
    expect(await failure("huge")).toBe(message);
    const pod = await until("PodScheduled=False", async () => {
      const current = await getPod("huge");
      return current.status.conditions?.some((c) => c.type === "PodScheduled")
        ? current
        : undefined;
    });
    expect(pod.spec.nodeName).toBeUndefined();
    expect(pod.status.conditions?.find((c) => c.type === "PodScheduled")).toMatchObject({
      status: "False",
      reason: "Unschedulable",
      message,
    });
  });

  test("a nodeSelector, and a preferred node affinity, pick their node", async () => {
    await createPods([
      { name: "picky", spec: selector({ disk: "ssd" }) },
      { name: "picky-2", spec: selector({ disk: "ssd" }) },
    ]);
    expect(await nodeOf("picky")).toBe("base-1");
    expect(await nodeOf("picky-2")).toBe("base-1");
    await createPods([
      {
        name: "prefers-a",
        spec: {
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  preference: {
                    matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }],
                  },
                },
              ],
            },
          },
        },
      },
    ]);
    // base-1 is the busier worker: only the preference takes the pod there.
    expect(await nodeOf("prefers-a")).toBe("base-1");
  });

  test("a host port in use keeps a second pod off the node", async () => {
    const withPort = (name: string) => ({
      name,
      spec: {
        containers: [
          { name: "c", image: "busybox", ports: [{ containerPort: 80, hostPort: 8080 }] },
        ],
      },
    });
    await createPods([withPort("port-1")]);
    const first = await nodeOf("port-1");
    await createPods([withPort("port-2")]);
    expect(await nodeOf("port-2")).toBe(first === "base-1" ? "base-2" : "base-1");
    await createPods([withPort("port-3")]);
    expect(await failure("port-3")).toBe(
      `0/3 nodes are available: 1 ${CONTROL_PLANE_TAINT}, 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.`,
    );
    await cluster.ok(["delete", "pod", "port-3", "--wait=false"]);
  });

  test("--scheduler-config: a profile without TaintToleration places pods on tainted nodes", async () => {
    await createPods([
      { name: "default-profile", spec: hostname("base-0") },
      { name: "no-taints-profile", spec: { ...hostname("base-0"), schedulerName: "no-taints" } },
    ]);
    expect(await nodeOf("no-taints-profile")).toBe("base-0");
    const scheduled = (await eventsFor("no-taints-profile")).find((e) => e.reason === "Scheduled");
    expect(scheduled?.source?.component).toBe("no-taints");
    expect(await failure("default-profile")).toBe(
      `0/3 nodes are available: 1 ${CONTROL_PLANE_TAINT}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`,
    );
  });
});

describe("scheduler on eight nodes", () => {
  beforeAll(async () => {
    fleets.push(await startHollow(cluster, { count: 5, namePrefix: "extra-" }));
    await cluster.ok(["label", "node", "extra-0", "extra-1", "extra-2", "pool=spread"]);
    await cluster.ok(["label", "node", "extra-0", "extra-1", "zone=x"]);
    await cluster.ok(["label", "node", "extra-2", "zone=y"]);
    await cluster.ok(["label", "node", "extra-3", "pool=preempt"]);
    await cluster.ok(["label", "node", "extra-4", "only=t"]);
    await cluster.ok(["taint", "node", "extra-4", "dedicated=gpu:NoSchedule"]);
  }, 60_000);

  test("required pod anti-affinity spreads 3 replicas over 3 nodes; a 4th finds none", async () => {
    const replica = (name: string) => ({
      name,
      labels: { app: "anti" },
      spec: {
        ...selector({ pool: "spread" }),
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                labelSelector: { matchLabels: { app: "anti" } },
                topologyKey: "kubernetes.io/hostname",
              },
            ],
          },
        },
      },
    });
    await createPods([replica("anti-1"), replica("anti-2"), replica("anti-3"), replica("anti-4")]);
    const nodes = await Promise.all(["anti-1", "anti-2", "anti-3"].map(nodeOf));
    expect(new Set(nodes)).toEqual(new Set(["extra-0", "extra-1", "extra-2"]));
    expect(await failure("anti-4")).toContain("3 node(s) didn't match pod anti-affinity rules");
    expect((await getPod("anti-4")).spec.nodeName).toBeUndefined();
  });

  test("topology spread with maxSkew 1 balances zones, not nodes", async () => {
    // Zone x has two nodes, zone y one: spreading by zone puts 3 pods on extra-2.
    const spread = (name: string) => ({
      name,
      labels: { app: "spread" },
      spec: {
        ...selector({ pool: "spread" }),
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: "zone",
            whenUnsatisfiable: "DoNotSchedule",
            labelSelector: { matchLabels: { app: "spread" } },
          },
        ],
      },
    });
    const names = ["ts-1", "ts-2", "ts-3", "ts-4", "ts-5", "ts-6"];
    await createPods(names.map(spread));
    const nodes = await Promise.all(names.map(nodeOf));
    expect(nodes.filter((n) => n === "extra-2").length).toBe(3);
  });

  test("a tainted node is avoided unless tolerated; removing the taint retries the pending pod", async () => {
    await createPods([{ name: "shy", spec: selector({ only: "t" }) }]);
    expect(await failure("shy")).toBe(
      "0/8 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 " +
        `${CONTROL_PLANE_TAINT}, 6 node(s) didn't match Pod's node affinity/selector. ` +
        "preemption: 0/8 nodes are available: 8 Preemption is not helpful for scheduling.",
    );
    await createPods([
      {
        name: "tolerant",
        spec: {
          ...selector({ only: "t" }),
          tolerations: [
            { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" },
          ],
        },
      },
    ]);
    expect(await nodeOf("tolerant")).toBe("extra-4");
    await cluster.ok(["taint", "node", "extra-4", "dedicated=gpu:NoSchedule-"]);
    expect(await nodeOf("shy")).toBe("extra-4");
    // Binding turns the Unschedulable condition into PodScheduled=True.
    const scheduled = await cluster.ok([
      "get",
      "pod",
      "shy",
      "-o",
      'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}',
    ]);
    expect(scheduled).toBe("True");
  });

  test("preemption: a high-priority pod evicts low-priority pods and is bound where it was nominated", async () => {
    const allocatable = await cluster.ok([
      "get",
      "node",
      "extra-3",
      "-o",
      "jsonpath={.status.allocatable.cpu}",
    ]);
    const cores = Number(allocatable);
    expect(cores).toBeGreaterThanOrEqual(2);
    const low = Array.from({ length: cores }, (_, i) => ({
      name: `low-${i}`,
      cpu: "1",
      labels: { tier: "low" },
      spec: selector({ pool: "preempt" }),
    }));
    await createPods(low);
    await Promise.all(low.map((p) => nodeOf(p.name)));
    await cluster.ok(["create", "priorityclass", "high", "--value=1000"]);
    await createPods([
      {
        name: "vip",
        cpu: "2",
        spec: { ...selector({ pool: "preempt" }), priorityClassName: "high" },
      },
    ]);
    expect(await nodeOf("vip")).toBe("extra-3");
    const vip = await getPod("vip");
    expect(vip.status.nominatedNodeName).toBe("extra-3");
    const remaining = JSON.parse(
      await cluster.ok(["get", "pods", "-l", "tier=low", "-o", "json"]),
    ) as {
      items: PodJson[];
    };
    expect(remaining.items.length).toBe(cores - 2);
    const evicted = low
      .map((p) => p.name)
      .filter((n) => !remaining.items.some((r) => r.metadata.name === n));
    for (const name of evicted) {
      const preempted = (await eventsFor(name)).find((e) => e.reason === "Preempted");
      expect(preempted?.message).toBe(`Preempted by pod ${vip.metadata.uid} on node extra-3`);
    }
  });

  test("volume binding: a WaitForFirstConsumer claim is provisioned on the chosen node before binding", async () => {
    await cluster.ok(["create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data", namespace: "default" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      }),
    });
    const volumes = { volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] };
    await createPods([
      { name: "with-claim", spec: { ...selector({ pool: "spread" }), ...volumes } },
      {
        name: "missing-claim",
        spec: { volumes: [{ name: "x", persistentVolumeClaim: { claimName: "nope" } }] },
      },
    ]);
    const node = await nodeOf("with-claim");
    const claim = JSON.parse(await cluster.ok(["get", "pvc", "data", "-o", "json"])) as {
      metadata: { annotations?: Record<string, string> };
      spec: { volumeName?: string };
      status: { phase?: string };
    };
    expect(claim.metadata.annotations?.["volume.kubernetes.io/selected-node"]).toBe(node);
    expect(claim.status.phase).toBe("Bound");
    const affinity = await cluster.ok([
      "get",
      "pv",
      claim.spec.volumeName ?? "",
      "-o",
      "jsonpath={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}",
    ]);
    expect(affinity).toBe(node);
    expect(await failure("missing-claim")).toBe(
      '0/8 nodes are available: persistentvolumeclaim "nope" not found. preemption: 0/8 nodes are available: 8 Preemption is not helpful for scheduling.',
    );
  });

  test("a bad --scheduler-config stops the server with the field at fault", async () => {
    const bad = join(configDir, "bad.yaml");
    await writeFile(bad, schedulerConfig.replace("TaintToleration", "NoSuchPlugin"));
    const result = await runKubun([
      "server",
      "--data-dir",
      join(configDir, "data"),
      "--scheduler-config",
      bad,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `--scheduler-config ${bad}: profiles[1].plugins.multiPoint.disabled[0].name: plugin "NoSuchPlugin" does not exist`,
    );
  });
});

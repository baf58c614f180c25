// Workload benchmark: time for a 1,000-replica Deployment to become fully
// available on 100 hollow nodes (Deployment → ReplicaSet → pods → scheduler →
// hollow nodes → status back up the chain), against a baseline measured in the
// same run: the same number of bare pods created already bound (16 clients),
// which is the API and node cost with no controller or scheduler in the path.
import type { ApiClient } from "../src/client/api-client.ts";
import { resourcePath } from "../src/client/resource-path.ts";
import type { KubeObject } from "../src/resources/kind.ts";
import { report, startBenchHollow, startBenchServer } from "./support.ts";

const replicas = Number(process.env.BENCH_REPLICAS ?? 1000);
const nodes = Number(process.env.BENCH_NODES ?? 100);
const namespace = "default";
const pods = resourcePath({ version: "v1", resource: "pods", namespace });
const deployments = resourcePath({
  group: "apps",
  version: "v1",
  resource: "deployments",
  namespace,
});

const isReady = (pod: KubeObject) =>
  (pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
    (c) => c.type === "Ready" && c.status === "True",
  ) ?? false;

/** Resolves when `done` holds for an event of the watch on `path`, or rejects after `limitMs`. */
async function watchUntil(
  client: ApiClient,
  path: string,
  done: (object: KubeObject, type: string) => boolean,
  limitMs = 600_000,
): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limitMs);
  try {
    const list = await client.list(path);
    for (const object of list.items) if (done(object, "ADDED")) return;
    for await (const event of client.watch(path, {
      resourceVersion: list.metadata.resourceVersion,
      signal: controller.signal,
    })) {
      if (event.type === "ERROR") throw new Error(event.object.message);
      if (done(event.object as KubeObject, event.type)) return;
    }
    throw new Error(`gave up watching ${path}`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function barePods(client: ApiClient): Promise<number> {
  const ready = new Set<string>();
  const allReady = watchUntil(client, pods, (pod, type) => {
    if (type !== "DELETED" && isReady(pod)) ready.add(pod.metadata?.name ?? "");
    return ready.size === replicas;
  });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < replicas; i = next++) {
        await client.create(pods, {
          metadata: { name: `bare-${i}`, labels: { app: "bare" } },
          spec: {
            nodeName: `hollow-${i % nodes}`,
            containers: [{ name: "c", image: "nginx", resources: { requests: { cpu: "10m" } } }],
          },
        });
      }
    }),
  );
  await allReady;
  const elapsed = performance.now() - started;
  await client.delete(pods, { gracePeriodSeconds: 0 });
  for (let i = 0; i < 600 && (await client.list(pods)).items.length > 0; i++) await Bun.sleep(500);
  return elapsed;
}

async function deployment(client: ApiClient): Promise<number> {
  const started = performance.now();
  const available = watchUntil(
    client,
    deployments,
    (d) =>
      d.metadata?.name === "bench" &&
      (d.status as { availableReplicas?: number } | undefined)?.availableReplicas === replicas,
  );
  await client.create(deployments, {
    metadata: { name: "bench" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "bench" } },
      template: {
        metadata: { labels: { app: "bench" } },
        spec: {
          containers: [{ name: "c", image: "nginx", resources: { requests: { cpu: "10m" } } }],
        },
      },
    },
  });
  await available;
  return performance.now() - started;
}

const server = await startBenchServer("deployment", ["--no-agent"]);
try {
  process.stderr.write(`joining ${nodes} hollow nodes…\n`);
  const hollow = await startBenchHollow(server.dataDir, ["--count", String(nodes)]);
  if (!hollow.ready) throw new Error("kubun hollow exited before its nodes were ready");
  try {
    process.stderr.write(`baseline: ${replicas} bare pods, already bound…\n`);
    const bare = await barePods(server.client);
    process.stderr.write(`Deployment of ${replicas} replicas…\n`);
    const deploy = await deployment(server.client);
    report(
      [
        ["measure", "kubun", "baseline (bare bound pods)"],
        [
          `${replicas}-replica Deployment fully available on ${nodes} hollow nodes`,
          `${(deploy / 1000).toFixed(1)} s (${((replicas * 1000) / deploy).toFixed(0)} pods/s)`,
          `${(bare / 1000).toFixed(1)} s (${((replicas * 1000) / bare).toFixed(0)} pods/s)`,
        ],
      ],
      {
        bench: "deployment",
        replicas,
        nodes,
        deployment_available_s: deploy / 1000,
        bare_pods_ready_s: bare / 1000,
      },
    );
  } finally {
    await hollow.stop();
  }
} finally {
  await server.stop();
}

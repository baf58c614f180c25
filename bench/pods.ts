// Node agent benchmark: pod start-up latency (create sent → Running and Ready seen
// by a watcher) at a steady rate on one real agent (the server's own, process
// runtime), against upstream's SLO (5 s) and kubun's target (p99 ≤ 0.5 s); then
// the memory of `kubun hollow` per simulated node. Prints a table and one JSON line.
// Needs root (the process runtime uses mount namespaces and cgroups).
import { readFile } from "node:fs/promises";
import type { ApiClient } from "../src/client/api-client.ts";
import { resourcePath } from "../src/client/resource-path.ts";
import type { KubeObject } from "../src/resources/kind.ts";
import { percentile, report, startBenchHollow, startBenchServer } from "./support.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const podsPerSecond = Number(process.env.BENCH_PODS_PER_SECOND ?? 10);
const hollowCount = Number(process.env.BENCH_HOLLOW ?? 1000);

const pods = resourcePath({ version: "v1", resource: "pods", namespace: "default" });

async function podStartup(client: ApiClient): Promise<number[]> {
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const list = await client.list(pods);
  const done = Promise.withResolvers<void>();
  const total = seconds * podsPerSecond;
  const controller = new AbortController();
  const watching = (async () => {
    for await (const event of client.watch(pods, {
      resourceVersion: list.metadata?.resourceVersion,
      signal: controller.signal,
    })) {
      if (event.type !== "MODIFIED") continue;
      const pod = event.object as KubeObject;
      const name = pod.metadata?.name ?? "";
      const status = pod.status as { conditions?: { type: string; status: string }[] } | undefined;
      const ready = status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      const start = sent.get(name);
      if (!ready || start === undefined) continue;
      latencies.push(performance.now() - start);
      sent.delete(name);
      // Steady churn: a node holds at most maxPods (110), so each pod goes once it ran.
      void client.delete(`${pods}/${name}`, { gracePeriodSeconds: 0 }).catch(() => {});
      if (latencies.length === total) done.resolve();
    }
  })().catch(() => {});
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / podsPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const name = `bench-${i}`;
    sent.set(name, performance.now());
    void client.create(pods, {
      metadata: { name },
      spec: {
        nodeName: "bench",
        terminationGracePeriodSeconds: 0,
        containers: [{ name: "c", image: "busybox", command: ["sleep", "3600"] }],
      },
    });
  }
  await Promise.race([done.promise, Bun.sleep(60_000)]);
  controller.abort();
  await watching;
  return latencies.sort((a, b) => a - b);
}

async function deleteAll(client: ApiClient): Promise<void> {
  await client.delete(pods, { gracePeriodSeconds: 0 });
  for (let i = 0; i < 600; i++) {
    if ((await client.list(pods)).items.length === 0) return;
    await Bun.sleep(500);
  }
}

async function hollowMemory(
  dataDir: string,
): Promise<{ rssMiB: number; perNodeKiB: number } | null> {
  const hollow = await startBenchHollow(dataDir, ["--count", String(hollowCount)]);
  // Steady state: heartbeats running for a while after the last node joined.
  await Bun.sleep(15_000);
  const status = await readFile(`/proc/${hollow.pid}/status`, "utf8").catch(() => "");
  const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  await hollow.stop();
  if (!hollow.ready) return null;
  const before = Number(/\((\d+) MiB before the nodes/.exec(hollow.ready)?.[1] ?? Number.NaN);
  return {
    rssMiB: rssKiB / 1024,
    perNodeKiB: (rssKiB - before * 1024) / hollowCount,
  };
}

const server = await startBenchServer("pods", [
  "--agent-port",
  String(20000 + Math.floor(Math.random() * 10000)),
  "--node-name",
  "bench",
]);
try {
  process.stderr.write(`pod start-up: ${podsPerSecond} pods/s for ${seconds} s…\n`);
  const latencies = await podStartup(server.client);
  process.stderr.write("deleting the pods…\n");
  await deleteAll(server.client);
  process.stderr.write(`hollow: ${hollowCount} nodes…\n`);
  const hollow = await hollowMemory(server.dataDir);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const rows = [
    ["measure", "kubun", "baseline / target"],
    [
      `pod start-up p50 / p99 ms (${latencies.length} of ${seconds * podsPerSecond} pods)`,
      `${p50.toFixed(0)} / ${p99.toFixed(0)}`,
      "upstream SLO p99 ≤ 5000; target p99 ≤ 500",
    ],
    [
      `hollow nodes: RSS for ${hollowCount}, per node`,
      hollow ? `${hollow.rssMiB.toFixed(0)} MiB, ${hollow.perNodeKiB.toFixed(0)} KiB` : "failed",
      "target 1,000 nodes ≤ 1 GiB (kubemark ~220 MB per node)",
    ],
  ];
  report(rows, {
    bench: "pods",
    pods: latencies.length,
    pod_startup_p50_ms: p50,
    pod_startup_p99_ms: p99,
    hollow_nodes: hollowCount,
    hollow_rss_mib: hollow?.rssMiB ?? null,
    hollow_per_node_kib: hollow?.perNodeKiB ?? null,
  });
} finally {
  await server.stop();
}

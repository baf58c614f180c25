// Scheduler benchmark, after upstream's scheduler_perf SchedulingBasic: N hollow nodes
// (default 5,000) and M pods (default 10,000) shaped like scheduler_perf's pod-default
// (100m cpu, 500Mi memory) created by concurrent clients. Prints pods/s from the first
// create to the last bind and the per-pod latency (create sent → bound seen by a watch),
// next to the rate the same clients created the pods at (the scheduler cannot outrun
// arrivals), and the rate of the scheduling cycle alone on as many nodes in this
// process, without the API. Target: ≥ 1,000 pods/s on 5,000 nodes. Smaller runs: BENCH_NODES,
// BENCH_PODS; BENCH_NODES_PER_HOLLOW splits the nodes over several `kubun hollow`
// processes, BENCH_CSR_CONCURRENCY sets each one's joins in flight.
import type { ApiClient } from "../src/client/api-client.ts";
import { resourcePath } from "../src/client/resource-path.ts";
import { Logger } from "../src/log/logger.ts";
import type { KubeObject } from "../src/resources/kind.ts";
import { SchedulerCache } from "../src/scheduler/cache.ts";
import type { Framework } from "../src/scheduler/framework.ts";
import type { Handle } from "../src/scheduler/handle.ts";
import { Nominator } from "../src/scheduler/nominator.ts";
import { PodInfo } from "../src/scheduler/pod-info.ts";
import { buildFramework } from "../src/scheduler/registry.ts";
import { SchedulingAlgorithm } from "../src/scheduler/schedule-pod.ts";
import {
  type HollowFleetProcess,
  percentile,
  report,
  startBenchHollow,
  startBenchServer,
} from "./support.ts";

const nodeCount = Number(process.env.BENCH_NODES ?? 5000);
const podCount = Number(process.env.BENCH_PODS ?? 10_000);
const nodesPerHollow = Number(process.env.BENCH_NODES_PER_HOLLOW ?? 1250);
const csrConcurrency = process.env.BENCH_CSR_CONCURRENCY ?? "20";
const clients = Number(process.env.BENCH_CLIENTS ?? 32);
const limitMs = Number(process.env.BENCH_LIMIT_SECONDS ?? 900) * 1000;

const namespace = "default";
const pods = resourcePath({ version: "v1", resource: "pods", namespace });
const nodesPath = resourcePath({ version: "v1", resource: "nodes" });

const say = (line: string) => process.stderr.write(`${line}\n`);

/** scheduler_perf's config/templates/pod-default.yaml. */
const podDefault = (name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace },
  spec: {
    containers: [
      {
        name: "pause",
        image: "registry.k8s.io/pause:3.10",
        ports: [{ containerPort: 80 }],
        resources: {
          limits: { cpu: "100m", memory: "500Mi" },
          requests: { cpu: "100m", memory: "500Mi" },
        },
      },
    ],
  },
});

const isReady = (node: KubeObject) =>
  (
    node.status as { conditions?: { type: string; status: string }[] } | undefined
  )?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/**
 * Joins the nodes fleet after fleet: a fleet's joins (CSRs, registration) are the
 * server's heaviest load, and starting every fleet at once made joins time out.
 */
async function joinNodes(
  dataDir: string,
): Promise<{ fleets: HollowFleetProcess[]; seconds: number }> {
  const started = performance.now();
  const fleets: HollowFleetProcess[] = [];
  for (let i = 0; i * nodesPerHollow < nodeCount; i++) {
    const count = Math.min(nodesPerHollow, nodeCount - i * nodesPerHollow);
    const fleet = await startBenchHollow(
      dataDir,
      [
        "--count",
        String(count),
        "--first-index",
        String(i * nodesPerHollow),
        "--max-pods",
        "110",
        "--csr-concurrency",
        csrConcurrency,
      ],
      (line) => {
        if (/registered|joining/.test(line)) say(`hollow ${i}: ${line}`);
      },
    );
    fleets.push(fleet);
    if (fleet.ready === null) {
      await Promise.all(fleets.map((f) => f.stop()));
      throw new Error(`hollow fleet ${i} failed to start`);
    }
  }
  return { fleets, seconds: (performance.now() - started) / 1000 };
}

async function waitForReadyNodes(client: ApiClient): Promise<void> {
  for (;;) {
    const list = await client.list(nodesPath);
    const ready = list.items.filter(isReady).length;
    if (ready >= nodeCount) return;
    say(`${ready}/${nodeCount} nodes ready…`);
    await Bun.sleep(2000);
  }
}

/** Names → when the watch first saw them bound (ms, performance clock). */
function watchBindings(client: ApiClient, resourceVersion: string, signal: AbortSignal) {
  const bound = new Map<string, number>();
  const waiters: { count: number; resolve: () => void }[] = [];
  const running = (async () => {
    for await (const event of client.watch(pods, { resourceVersion, signal })) {
      if (event.type !== "ADDED" && event.type !== "MODIFIED") continue;
      const pod = event.object as KubeObject;
      const name = pod.metadata?.name ?? "";
      if (!(pod.spec as { nodeName?: string }).nodeName || bound.has(name)) continue;
      bound.set(name, performance.now());
      for (const waiter of waiters.filter((w) => bound.size >= w.count)) waiter.resolve();
    }
  })().catch((error) => {
    if (!signal.aborted) say(`watch failed: ${error}`);
  });
  return {
    bound,
    running,
    until(count: number): Promise<void> {
      if (bound.size >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/**
 * The scheduling cycle alone: the default profile filtering and scoring pod-default pods
 * on hollow-sized nodes in memory, each decision assumed as the scheduler does.
 */
function schedulingCycleRate(): number {
  const cache = new SchedulerCache();
  for (let i = 0; i < nodeCount; i++) {
    const name = `hollow-${i}`;
    cache.addNode({
      metadata: { name, labels: { "kubernetes.io/hostname": name } },
      spec: {},
      status: {
        allocatable: { cpu: "4", memory: "16Gi", pods: "110" },
        conditions: [{ type: "Ready", status: "True" }],
      },
    });
  }
  const nominator = new Nominator();
  let framework: Framework | undefined;
  const none = () => [];
  const handle: Handle = {
    cache,
    listers: {
      namespaceLabels: () => ({}),
      namespaces: none,
      persistentVolumeClaim: () => undefined,
      persistentVolume: () => undefined,
      persistentVolumes: none,
      storageClass: () => undefined,
      podDisruptionBudgets: none,
      selectorsOwners: () => ({
        services: [],
        replicationControllers: [],
        replicaSets: [],
        statefulSets: [],
      }),
      pendingPod: () => undefined,
    },
    client: {} as Handle["client"],
    events: { event() {} },
    nominations: nominator,
    log: new Logger("bench"),
    framework: () => framework as Framework,
    onStorageChange: () => () => {},
  };
  framework = buildFramework(
    { schedulerName: "default-scheduler", plugins: {}, pluginConfig: {} },
    handle,
    nominator,
  );
  const algorithm = new SchedulingAlgorithm(cache);
  const started = performance.now();
  for (let i = 0; i < podCount; i++) {
    const pod = new PodInfo({
      ...podDefault(`pod-${i}`),
      metadata: { name: `pod-${i}`, namespace, uid: `uid-${i}` },
    });
    const result = algorithm.schedulePod(framework, pod);
    if (!("node" in result)) throw new Error(`pod-${i} did not fit`);
    cache.assumePod(pod.withNodeName(result.node));
  }
  return podCount / ((performance.now() - started) / 1000);
}

const cycleRate = schedulingCycleRate();
const server = await startBenchServer("scheduler", ["--no-agent"]);
let fleets: HollowFleetProcess[] = [];
try {
  say(`joining ${nodeCount} hollow nodes (${Math.ceil(nodeCount / nodesPerHollow)} processes)…`);
  const joined = await joinNodes(server.dataDir);
  fleets = joined.fleets;
  await waitForReadyNodes(server.client);
  say(`${nodeCount} nodes ready after ${joined.seconds.toFixed(0)} s; creating ${podCount} pods…`);

  const list = await server.client.list(pods);
  const controller = new AbortController();
  const watch = watchBindings(
    server.client,
    list.metadata?.resourceVersion ?? "",
    controller.signal,
  );
  // A first pod checks that the scheduler has its caches and the nodes.
  await server.client.create(pods, podDefault("warm-up"));
  await watch.until(1);

  const sent = new Map<string, number>();
  const createLatencies: number[] = [];
  let next = 0;
  const firstCreate = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < podCount) {
        const name = `pod-${next++}`;
        const at = performance.now();
        sent.set(name, at);
        await server.client.create(pods, podDefault(name));
        createLatencies.push(performance.now() - at);
      }
    }),
  );
  createLatencies.sort((a, b) => a - b);
  const lastCreate = performance.now();
  const all = await Promise.race([
    watch.until(podCount + 1).then(() => true),
    Bun.sleep(limitMs).then(() => false),
  ]);
  controller.abort();
  await watch.running;

  const latencies: number[] = [];
  let lastBind = firstCreate;
  for (const [name, at] of sent) {
    const boundAt = watch.bound.get(name);
    if (boundAt === undefined) continue;
    latencies.push(boundAt - at);
    lastBind = Math.max(lastBind, boundAt);
  }
  latencies.sort((a, b) => a - b);
  const throughput = latencies.length / ((lastBind - firstCreate) / 1000);
  const createRate = podCount / ((lastCreate - firstCreate) / 1000);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  report(
    [
      ["measure", "kubun", "baseline / target"],
      [`join ${nodeCount} hollow nodes`, `${joined.seconds.toFixed(0)} s`, ""],
      [
        `scheduling throughput, pods/s (${latencies.length} of ${podCount} bound${all ? "" : ", timed out"})`,
        throughput.toFixed(0),
        `created at ${createRate.toFixed(0)} pods/s by ${clients} clients; target ≥ 1000`,
      ],
      [
        `scheduling cycle alone, no API (pods/s on ${nodeCount} nodes)`,
        cycleRate.toFixed(0),
        "the filter/score loop's ceiling",
      ],
      [
        "per-pod latency create → bound, p50 / p99 ms",
        `${p50.toFixed(0)} / ${p99.toFixed(0)}`,
        `the create request alone: ${percentile(createLatencies, 50).toFixed(0)} / ${percentile(createLatencies, 99).toFixed(0)}`,
      ],
    ],
    {
      bench: "scheduler",
      nodes: nodeCount,
      pods: podCount,
      bound: latencies.length,
      join_seconds: joined.seconds,
      pods_per_second: throughput,
      create_pods_per_second: createRate,
      scheduling_cycle_pods_per_second: cycleRate,
      latency_p50_ms: p50,
      latency_p99_ms: p99,
      create_latency_p50_ms: percentile(createLatencies, 50),
      create_latency_p99_ms: percentile(createLatencies, 99),
    },
  );
} finally {
  await Promise.all(fleets.map((fleet) => fleet.stop()));
  await server.stop();
}

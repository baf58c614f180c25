// HA benchmark: an HA trio (three servers on one embedded PostgreSQL) with one
// hollow node. Failover time = leader killed (SIGKILL) or frozen (SIGSTOP) →
// the first scheduling decision by the new leader (a pod created right after
// the kill, seen bound by a watcher on a surviving server), p50/p99 over
// BENCH_KILLS rounds each; baseline in the same run: the same create → bound
// with no failover. Then watch latency across servers: a ConfigMap written on
// one server, its event seen on another.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiClient } from "../src/client/api-client.ts";
import { resourcePath } from "../src/client/resource-path.ts";
import { logger } from "../src/log/logger.ts";
import type { KubeObject } from "../src/resources/kind.ts";
import { EmbeddedPostgres } from "../src/store/embedded-postgres.ts";
import { generateServerToken } from "../src/tls/bootstrap-data.ts";
import {
  type BenchServer,
  percentile,
  report,
  startBenchHollow,
  startBenchServer,
} from "./support.ts";

const kills = Number(process.env.BENCH_KILLS ?? 20);
const watchWrites = Number(process.env.BENCH_WATCH_WRITES ?? 1000);
const pods = resourcePath({ version: "v1", resource: "pods", namespace: "default" });
const configMaps = resourcePath({ version: "v1", resource: "configmaps", namespace: "default" });
const leasePath = resourcePath({
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
  namespace: "kube-system",
  name: "kubun-leader",
});
const say = (line: string) => process.stderr.write(`${line}\n`);

const pgDir = await mkdtemp(join(tmpdir(), "kubun-bench-ha-pg-"));
await chmod(pgDir, 0o755);
const pg = new EmbeddedPostgres({ dataDir: pgDir, log: logger("postgres") });
await pg.start();
const { host, user, database } = pg.target;
const url = `postgres://${user}@localhost/${database}?host=${encodeURIComponent(host ?? "")}`;
const token = generateServerToken();
const serverArgs = ["--no-agent", "--datastore", url, "--token", token];

/** The server whose port the leader Lease names, once a Lease renewed after `since` says so. */
async function leader(servers: BenchServer[], asker: ApiClient, since = 0): Promise<BenchServer> {
  for (;;) {
    try {
      const lease = await asker.get(leasePath);
      const spec = lease.spec as { holderIdentity?: string; renewTime?: string };
      const port = /:(\d+)_/.exec(spec.holderIdentity ?? "")?.[1];
      const found = servers.find((s) => new URL(s.url).port === port);
      if (found && Date.parse(spec.renewTime ?? "") >= since) return found;
    } catch {}
    await Bun.sleep(50);
  }
}

/** Creates an unscheduled pod through `client` and resolves with when a watcher saw it bound. */
async function scheduled(client: ApiClient, name: string): Promise<number> {
  const list = await client.list(pods);
  const controller = new AbortController();
  const bound = (async () => {
    for await (const event of client.watch(pods, {
      resourceVersion: list.metadata.resourceVersion,
      signal: controller.signal,
    })) {
      const pod = event.object as KubeObject;
      if (pod.metadata?.name === name && (pod.spec as { nodeName?: string })?.nodeName) {
        return performance.now();
      }
    }
    throw new Error("watch ended");
  })();
  await client.create(pods, {
    metadata: { name },
    spec: { containers: [{ name: "c", image: "nginx" }], terminationGracePeriodSeconds: 0 },
  });
  try {
    return await bound;
  } finally {
    controller.abort();
  }
}

async function failovers(
  servers: BenchServer[],
  signal: "SIGKILL" | "SIGSTOP",
  rounds: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const current = await leader(servers, servers[0]?.client as ApiClient);
    const survivor = servers.find((s) => s !== current) as BenchServer;
    const killedAt = performance.now();
    current.signal(signal);
    const boundAt = await scheduled(survivor.client, `${signal.toLowerCase()}-${round}`);
    times.push(boundAt - killedAt);
    if (signal === "SIGKILL") {
      await current.exited();
      await current.restart();
    } else {
      current.signal("SIGCONT");
    }
    // The old leader is back as a standby before the next round.
    await leader(servers, survivor.client, Date.now());
    say(`  ${signal} ${round + 1}/${rounds}: ${(times.at(-1) ?? 0).toFixed(0)} ms`);
  }
  return times.sort((a, b) => a - b);
}

async function watchLatency(writer: ApiClient, reader: ApiClient): Promise<number[]> {
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const list = await reader.list(configMaps);
  const controller = new AbortController();
  const done = Promise.withResolvers<void>();
  const watching = (async () => {
    for await (const event of reader.watch(configMaps, {
      resourceVersion: list.metadata.resourceVersion,
      signal: controller.signal,
    })) {
      if (event.type !== "ADDED") continue;
      const start = sent.get(event.object.metadata?.name ?? "");
      if (start === undefined) continue;
      latencies.push(performance.now() - start);
      if (latencies.length === watchWrites) done.resolve();
    }
  })().catch(() => {});
  for (let i = 0; i < watchWrites; i++) {
    const name = `latency-${i}`;
    sent.set(name, performance.now());
    await writer.create(configMaps, { metadata: { name }, data: { i: String(i) } });
  }
  await Promise.race([done.promise, Bun.sleep(30_000)]);
  controller.abort();
  await watching;
  return latencies.sort((a, b) => a - b);
}

const servers: BenchServer[] = [];
try {
  say("starting three servers on one PostgreSQL…");
  servers.push(...(await Promise.all([1, 2, 3].map(() => startBenchServer("ha", serverArgs)))));
  const first = servers[0] as BenchServer;
  const hollow = await startBenchHollow(first.dataDir, [
    "--count",
    "1",
    ...servers.slice(1).flatMap((s) => ["--server", s.url]),
  ]);
  if (!hollow.ready) throw new Error("kubun hollow exited before its node was ready");
  try {
    say("baseline: create → bound with a steady leader…");
    const baseline: number[] = [];
    for (let i = 0; i < kills; i++) {
      const started = performance.now();
      baseline.push((await scheduled(first.client, `steady-${i}`)) - started);
    }
    baseline.sort((a, b) => a - b);
    say("failover after SIGKILL of the leader…");
    const killed = await failovers(servers, "SIGKILL", kills);
    say("failover after SIGSTOP of the leader…");
    const stopped = await failovers(servers, "SIGSTOP", kills);
    say(`watch latency across servers (${watchWrites} writes)…`);
    const latencies = await watchLatency(first.client, (servers[1] as BenchServer).client);
    const ms = (xs: number[]) =>
      `${percentile(xs, 50).toFixed(0)} / ${percentile(xs, 99).toFixed(0)}`;
    report(
      [
        ["measure (ms, p50 / p99)", "kubun", "baseline / target"],
        ["create → bound, steady leader", ms(baseline), ""],
        [
          `failover, leader SIGKILL (${killed.length})`,
          ms(killed),
          "target p99 ≤ 2000 (client-go leases ~15000)",
        ],
        [`failover, leader SIGSTOP (${stopped.length})`, ms(stopped), "target p99 ≤ 5000"],
        [
          `watch latency across servers (${latencies.length})`,
          `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)}`,
          "target p99 ≤ 25",
        ],
      ],
      {
        bench: "ha",
        steady_p50_ms: percentile(baseline, 50),
        sigkill_p50_ms: percentile(killed, 50),
        sigkill_p99_ms: percentile(killed, 99),
        sigstop_p50_ms: percentile(stopped, 50),
        sigstop_p99_ms: percentile(stopped, 99),
        watch_p50_ms: percentile(latencies, 50),
        watch_p99_ms: percentile(latencies, 99),
      },
    );
  } finally {
    await hollow.stop();
  }
} finally {
  for (const server of servers) await server.stop();
  await pg.stop();
  await rm(pgDir, { recursive: true, force: true });
}

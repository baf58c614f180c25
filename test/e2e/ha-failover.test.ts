/**
 * Failover under load: an HA trio with two hollow nodes runs a Deployment that
 * is scaled up and down with pods being deleted, while clients create ConfigMaps
 * (logging each acknowledged one) and watch them through the servers. The
 * leader is killed with SIGKILL ten times at random moments and restarted each
 * time; then it is frozen with SIGSTOP and thawed. Afterwards: every
 * acknowledged write is there with its value, every watcher saw them in order
 * without duplicates, and the Deployment converges without duplicate pods.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ApiClient } from "../../src/client/api-client.ts";
import { resourcePath } from "../../src/client/resource-path.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { generateServerToken } from "../../src/tls/bootstrap-data.ts";
import { startHollow, stopHollow } from "../support/hollow.ts";
import type { KubunProcess } from "../support/kubun-process.ts";
import { type TestDatabase, testDatabase } from "../support/postgres.ts";
import { startTrio, type Trio, type TrioServer } from "../support/trio.ts";
import { until } from "../support/until.ts";

const namespace = "default";
const configMaps = resourcePath({ version: "v1", resource: "configmaps", namespace });
const pods = resourcePath({ version: "v1", resource: "pods", namespace });
const deployments = resourcePath({
  group: "apps",
  version: "v1",
  resource: "deployments",
  namespace,
});
const replicaSets = resourcePath({
  group: "apps",
  version: "v1",
  resource: "replicasets",
  namespace,
});
const leasePath = resourcePath({
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
  namespace: "kube-system",
  name: "kubun-leader",
});

let db: TestDatabase;
let trio: Trio;
let hollow: KubunProcess | undefined;
let clients: ApiClient[];

beforeAll(async () => {
  db = await testDatabase();
  trio = await startTrio(db.url, generateServerToken());
  clients = await Promise.all(trio.servers.map((s) => trio.client(s)));
  const [first, ...rest] = trio.servers as [TrioServer, ...TrioServer[]];
  hollow = await startHollow(
    { dataDir: first.dataDir },
    { count: 2, moreServers: rest.map((s) => s.url) },
  );
});

afterAll(async () => {
  await stopHollow(hollow);
  for (const server of trio?.servers ?? []) server.process.kill("SIGCONT");
  await trio?.stop();
  await db?.close();
});

/** Tries each server in turn until one answers. */
async function anyServer<T>(call: (client: ApiClient) => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      return await call(clients[attempt % clients.length] as ApiClient);
    } catch (error) {
      last = error;
      await Bun.sleep(100);
    }
  }
  throw last;
}

interface LeaderSeen {
  server: TrioServer;
  index: number;
  renewed: number;
}

async function currentLeader(): Promise<LeaderSeen | undefined> {
  const lease = await anyServer((client) => client.get(leasePath)).catch(() => undefined);
  const spec = lease?.spec as { holderIdentity?: string; renewTime?: string } | undefined;
  const port = /:(\d+)_/.exec(spec?.holderIdentity ?? "")?.[1];
  const index = trio.servers.findIndex((s) => new URL(s.url).port === port);
  const server = trio.servers[index];
  return server ? { server, index, renewed: Date.parse(spec?.renewTime ?? "") } : undefined;
}

/** Waits for a leader other than `old` whose Lease was renewed after `since`. */
function newLeader(old: TrioServer, since: number): Promise<LeaderSeen> {
  return until("a new leader", async () => {
    const seen = await currentLeader();
    return seen && seen.server !== old && seen.renewed >= since ? seen : undefined;
  });
}

interface Seen {
  type: string;
  name: string;
  revision: number;
}

/** A watcher that moves to the next server when its own dies, resuming from its last revision. */
function resilientWatch(
  start: number,
  from: string,
  stop: AbortSignal,
): { events: Seen[]; done: Promise<void> } {
  const events: Seen[] = [];
  let resourceVersion = from;
  const done = (async () => {
    for (let server = start; !stop.aborted; server = (server + 1) % clients.length) {
      try {
        for await (const event of (clients[server] as ApiClient).watch(configMaps, {
          resourceVersion,
          signal: stop,
        })) {
          if (event.type === "ERROR") throw new Error(event.object.message);
          const rv = event.object.metadata?.resourceVersion ?? "";
          if (event.type === "BOOKMARK") {
            resourceVersion = rv;
            continue;
          }
          events.push({
            type: event.type,
            name: event.object.metadata?.name ?? "",
            revision: Number(rv),
          });
          resourceVersion = rv;
        }
      } catch {
        await Bun.sleep(100);
      }
    }
  })();
  return { events, done };
}

async function deploymentPods(): Promise<KubeObject[]> {
  const list = await anyServer((client) => client.list(pods, { labelSelector: "app=web" }));
  return list.items.filter((pod) => !pod.metadata?.deletionTimestamp);
}

async function converged(replicas: number): Promise<void> {
  await until(
    `the Deployment to converge on ${replicas} pods`,
    async () => {
      const deployment = await anyServer((client) => client.get(`${deployments}/web`));
      const status = deployment.status as Record<string, number | undefined>;
      const live = await deploymentPods();
      const running = live.filter((pod) => (pod.status as { phase?: string })?.phase === "Running");
      return status.readyReplicas === replicas &&
        status.updatedReplicas === replicas &&
        status.replicas === replicas &&
        live.length === replicas &&
        running.length === replicas
        ? true
        : undefined;
    },
    120_000,
  );
}

describe("failover under load", () => {
  test("ten SIGKILLs of the leader lose no acknowledged write and leave no duplicate pods", async () => {
    await anyServer((client) =>
      client.create(deployments, {
        metadata: { name: "web" },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "web", image: "nginx" }] },
          },
        },
      }),
    );
    await converged(3);

    const start = await anyServer((client) => client.list(configMaps));
    const stopWatching = new AbortController();
    const watchers = [0, 1, 2].map((i) =>
      resilientWatch(i, start.metadata.resourceVersion ?? "0", stopWatching.signal),
    );
    const acked = new Map<string, { value: string; revision: number }>();
    let working = true;
    const writer = (async () => {
      for (let i = 0; working; i++) {
        const name = `acked-${i}`;
        const value = `value-${i}`;
        try {
          const created: KubeObject = await (clients[i % clients.length] as ApiClient).create(
            configMaps,
            { metadata: { name }, data: { value } },
          );
          acked.set(name, { value, revision: Number(created.metadata?.resourceVersion) });
        } catch {
          await Bun.sleep(20);
        }
      }
    })();
    const churn = (async () => {
      for (let i = 0; working; i++) {
        const client = clients[i % clients.length] as ApiClient;
        try {
          if (i % 2 === 0) {
            const replicas = 2 + Math.floor(Math.random() * 5);
            await client.patch(`${deployments}/web`, { spec: { replicas } });
          } else {
            const live = await client.list(pods, { labelSelector: "app=web" });
            const victim = live.items[Math.floor(Math.random() * live.items.length)];
            if (victim) await client.delete(`${pods}/${victim.metadata?.name}`);
          }
        } catch {}
        await Bun.sleep(150 + Math.random() * 250);
      }
    })();

    for (let round = 0; round < 10; round++) {
      await Bun.sleep(300 + Math.random() * 1200);
      const leader = await until("the current leader", currentLeader);
      leader.server.process.kill("SIGKILL");
      const killedAt = Date.now();
      await leader.server.process.exited();
      await newLeader(leader.server, killedAt);
      await leader.server.restart();
    }

    working = false;
    await Promise.all([writer, churn]);
    await anyServer((client) => client.patch(`${deployments}/web`, { spec: { replicas: 4 } }));
    await converged(4);
    const owned = await anyServer((client) => client.list(replicaSets));
    expect(owned.items.filter((rs) => rs.metadata?.name?.startsWith("web-"))).toHaveLength(1);

    expect(acked.size).toBeGreaterThan(10);
    for (const client of clients) {
      const stored = await client.list(configMaps);
      const values = new Map(
        stored.items.map((cm) => [
          cm.metadata?.name,
          (cm as { data?: { value?: string } }).data?.value,
        ]),
      );
      for (const [name, { value }] of acked) expect(values.get(name)).toBe(value);
    }
    const last = Math.max(...[...acked.values()].map((a) => a.revision));
    await until("every watcher to reach the last acknowledged write", async () =>
      watchers.every((w) => w.events.some((e) => e.revision >= last)) ? true : undefined,
    );
    stopWatching.abort();
    await Promise.all(watchers.map((w) => w.done));
    for (const { events } of watchers) {
      const revisions = events.map((e) => e.revision);
      for (let i = 1; i < revisions.length; i++) {
        expect(revisions[i]).toBeGreaterThan(revisions[i - 1] as number);
      }
      const added = new Set(events.filter((e) => e.type === "ADDED").map((e) => e.revision));
      for (const { revision } of acked.values()) expect(added.has(revision)).toBe(true);
    }
  });

  test("a frozen leader is replaced, and once thawed it steps down without acting", async () => {
    const leader = await until("the current leader", currentLeader);
    leader.server.process.kill("SIGSTOP");
    const frozenAt = Date.now();
    const next = await newLeader(leader.server, frozenAt);
    await anyServer((client) => client.patch(`${deployments}/web`, { spec: { replicas: 5 } }));
    await converged(5);
    leader.server.process.kill("SIGCONT");
    await until("the thawed server to step down", async () =>
      /stepping down as leader/.test(leader.server.process.stderr) ? true : undefined,
    );
    const after = await until("the leader after the thaw", currentLeader);
    expect(after.server).toBe(next.server);
    const sql = db.connect({ max: 1 });
    const [locks] = await sql`
      select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and a.application_name = 'kubun-leader'
        and a.datname = current_database()`;
    expect(locks?.n).toBe(1);
    await converged(5);
  });
});

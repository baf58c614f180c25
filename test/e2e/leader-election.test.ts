/**
 * Two servers on one database: both serve the API, one leads (controllers and
 * scheduler), the Lease kube-system/kubun-leader says which; when the leader is
 * killed the other takes over and its controllers act.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { KubunProcess } from "../support/kubun-process.ts";
import { until } from "../support/until.ts";

let cluster: TestCluster;
let second: KubunProcess | undefined;
let secondDir: string;

beforeAll(async () => {
  cluster = await startCluster();
  secondDir = await mkdtemp(join(tmpdir(), "kubun-standby-"));
});

afterAll(async () => {
  second?.kill("SIGTERM");
  await second?.exited();
  await cluster?.stop().catch(() => {});
  await rm(secondDir, { recursive: true, force: true });
});

interface Lease {
  spec: { holderIdentity: string; leaseTransitions: number };
}

async function leaderLease(server?: string): Promise<Lease | undefined> {
  const result = await cluster.kubectl([
    ...(server ? ["--server", server] : []),
    "get",
    "lease",
    "kubun-leader",
    "-n",
    "kube-system",
    "-o",
    "json",
  ]);
  return result.code === 0 ? (JSON.parse(result.stdout) as Lease) : undefined;
}

test("one of two servers leads; when it is killed the other takes over", async () => {
  const first = await until("the first server's leader Lease", () => leaderLease());
  const token = (await readFile(join(cluster.dataDir, "token"), "utf8")).trim();
  second = new KubunProcess([
    "server",
    "--no-agent",
    "--datastore",
    cluster.db.url,
    "--data-dir",
    secondDir,
    "--port",
    "0",
    "--bind-address",
    "127.0.0.1",
    "--advertise-address",
    "127.0.0.1",
    "--token",
    token,
  ]);
  await second.waitFor(/ready on https:\/\/127\.0\.0\.1:\d+/);
  const secondUrl = /ready on (https:\/\/127\.0\.0\.1:\d+)/.exec(second.stdout)?.[1] ?? "";
  // The standby campaigns (its election connection is open) but does not lead.
  const sql = cluster.db.connect({ max: 1 });
  await until("two campaigning servers", async () => {
    const [row] = await sql`
      select count(*)::int as n from pg_stat_activity
      where application_name = 'kubun-leader' and datname = current_database()`;
    return row?.n === 2 ? true : undefined;
  });
  const [term] = await sql`select epoch, holder from kubun_leader`;
  expect(term?.epoch).toBe(1);
  expect(term?.holder).toBe(first.spec.holderIdentity);

  cluster.server.kill("SIGKILL");
  await cluster.server.exited();
  const taken = await until("the standby's leader Lease", async () => {
    const lease = await leaderLease(secondUrl);
    return lease && lease.spec.holderIdentity !== first.spec.holderIdentity ? lease : undefined;
  });
  expect(taken.spec.leaseTransitions).toBe(1);
  // Its controllers run: a new namespace gets its default ServiceAccount.
  await cluster.ok(["--server", secondUrl, "create", "namespace", "after-failover"]);
  await until("the default ServiceAccount", async () => {
    const result = await cluster.kubectl([
      "--server",
      secondUrl,
      "get",
      "serviceaccount",
      "default",
      "-n",
      "after-failover",
    ]);
    return result.code === 0 ? true : undefined;
  });
});

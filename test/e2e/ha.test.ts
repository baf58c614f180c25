/**
 * The HA trio: three servers on one PostgreSQL. Started together on an empty
 * database they migrate once and make one CA; under load they survive a
 * restart of PostgreSQL without losing an acknowledged write, and end with one
 * leader.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiClient } from "../../src/client/api-client.ts";
import { resourcePath } from "../../src/client/resource-path.ts";
import { logger } from "../../src/log/logger.ts";
import { openDatabase } from "../../src/store/database.ts";
import { EmbeddedPostgres } from "../../src/store/embedded-postgres.ts";
import { generateServerToken } from "../../src/tls/bootstrap-data.ts";
import { testDatabase } from "../support/postgres.ts";
import { startTrio, type Trio } from "../support/trio.ts";
import { until } from "../support/until.ts";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

const configMaps = resourcePath({ version: "v1", resource: "configmaps", namespace: "default" });

describe("the HA trio", () => {
  test("three servers started at once on an empty database migrate once and share one CA", async () => {
    const db = await testDatabase({ empty: true });
    cleanups.push(() => db.close());
    const trio = await startTrio(db.url, generateServerToken());
    cleanups.push(() => trio.stop());
    const cas = await Promise.all(
      trio.servers.map((s) => readFile(join(s.dataDir, "tls", "ca.crt"), "utf8")),
    );
    expect(new Set(cas).size).toBe(1);
    const sql = db.connect({ max: 1 });
    const bootstrap = await sql`select revision from kubun_history where key = '/kubun/bootstrap'`;
    expect(bootstrap).toHaveLength(1);
    const migrations =
      await sql`select count(*)::int as n from kubun_migrations.__drizzle_migrations`;
    const files = JSON.parse(
      await readFile(join(import.meta.dir, "../../migrations/meta/_journal.json"), "utf8"),
    ) as { entries: unknown[] };
    expect(migrations[0]?.n).toBe(files.entries.length);
    // Every server serves, and exactly one leads.
    for (const server of trio.servers) {
      const client = await trio.client(server);
      expect((await client.get("/api/v1/namespaces/default")).metadata?.name).toBe("default");
    }
    await until("a leader", async () => {
      const [row] = await sql`select count(*)::int as n from kubun_leader`;
      return row?.n === 1 ? true : undefined;
    });
    const locks = await sql`
      select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and a.application_name = 'kubun-leader'
        and a.datname = current_database()`;
    expect(locks[0]?.n).toBe(1);
  });

  test("a PostgreSQL restart under load loses no acknowledged write and ends with one leader", async () => {
    const pgDir = await mkdtemp(join(tmpdir(), "kubun-ha-pg-"));
    await chmod(pgDir, 0o755);
    const pg = new EmbeddedPostgres({ dataDir: pgDir, log: logger("ha-postgres") });
    cleanups.push(async () => {
      await pg.stop();
      await rm(pgDir, { recursive: true, force: true });
    });
    await pg.start();
    const { host, user, database } = pg.target;
    const url = `postgres://${user}@localhost/${database}?host=${encodeURIComponent(host ?? "")}`;
    const trio: Trio = await startTrio(url, generateServerToken());
    cleanups.push(() => trio.stop());
    const clients = await Promise.all(trio.servers.map((s) => trio.client(s)));

    // Writers on every server; a write counts once the server acknowledged it.
    const acked = new Map<string, string>();
    let failures = 0;
    let writing = true;
    const writer = async (client: ApiClient, id: number) => {
      for (let i = 0; writing; i++) {
        const name = `w${id}-${i}`;
        try {
          await client.create(configMaps, { metadata: { name }, data: { value: `${id}:${i}` } });
          acked.set(name, `${id}:${i}`);
        } catch {
          failures++;
          await Bun.sleep(50);
        }
      }
    };
    const writers = clients.map((client, id) => writer(client, id));
    await until("writes before the restart", async () => (acked.size >= 30 ? true : undefined));
    await pg.stop();
    const downAt = acked.size;
    await until("writes to fail while the database is down", async () =>
      failures > 3 ? true : undefined,
    );
    await pg.start();
    await until("writes on every server after the restart", async () => {
      const after = [...acked.keys()].slice(downAt);
      return [0, 1, 2].every((id) => after.some((name) => name.startsWith(`w${id}-`)))
        ? true
        : undefined;
    });
    writing = false;
    await Promise.all(writers);

    for (const client of clients) {
      const listed = await client.list(configMaps);
      const stored = new Map(
        listed.items.map((cm) => [
          cm.metadata?.name ?? "",
          (cm as { data?: { value?: string } }).data?.value,
        ]),
      );
      for (const [name, value] of acked) expect(stored.get(name)).toBe(value);
    }
    const sql = openDatabase({ ...pg.target, max: 1 });
    cleanups.push(() => sql.end({ timeout: 1 }));
    await until("one leader after the restart", async () => {
      const [row] = await sql`
        select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and a.application_name = 'kubun-leader'`;
      return row?.n === 1 ? true : undefined;
    });
    // The leader's loops run again: the leader Lease is being renewed.
    const leasePath = resourcePath({
      group: "coordination.k8s.io",
      version: "v1",
      resource: "leases",
      namespace: "kube-system",
      name: "kubun-leader",
    });
    const renewTime = async () =>
      ((await clients[0]?.get(leasePath))?.spec as { renewTime?: string } | undefined)?.renewTime;
    const before = await until("the leader Lease", renewTime);
    await until("the leader Lease renewed", async () =>
      (await renewTime()) !== before ? true : undefined,
    );
  });
});

import { afterAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logger } from "../../src/log/logger.ts";
import { isAlive } from "../../src/store/data-dir-lock.ts";
import { openDatabase } from "../../src/store/database.ts";
import { Datastore } from "../../src/store/datastore.ts";
import { EmbeddedPostgres } from "../../src/store/embedded-postgres.ts";
import { runMigrations } from "../../src/store/migrate.ts";
import { RevisionStore } from "../../src/store/revision-store.ts";
import { take } from "../support/store.ts";

const log = logger("test-datastore");
const dirs: string[] = [];

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kubun-ds-"));
  // mkdtemp makes it 0700; PostgreSQL runs as another user and must reach it.
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of dirs) {
    await new EmbeddedPostgres({ dataDir: dir, log }).stop().catch(() => {});
    if (!process.env.KUBUN_TEST_KEEP) await rm(dir, { recursive: true, force: true });
  }
});

async function postmasterPid(pgData: string): Promise<number> {
  return Number.parseInt(await readFile(join(pgData, "postmaster.pid"), "utf8"), 10);
}

describe("Datastore on the embedded PostgreSQL", () => {
  test("data and revisions survive a restart, and watches resume from a revision", async () => {
    const dataDir = await tempDataDir();
    const first = await Datastore.open({ dataDir, log, compaction: false });
    const r1 = await first.store.create("/restart/a", "1");
    const r2 = (await first.store.update("/restart/a", "2")).revision;
    await first.close();

    const second = await Datastore.open({ dataDir, log, compaction: false });
    try {
      expect(await second.store.currentRevision()).toBe(r2);
      expect(await second.store.get("/restart/a")).toEqual({
        key: "/restart/a",
        value: "2",
        revision: r2,
        createRevision: r1,
      });
      const watcher = second.store.watch("/restart/", r1);
      const r3 = await second.store.create("/restart/b", "3");
      const events = await take(watcher, 2);
      watcher.close();
      expect(events.map((e) => e.revision)).toEqual([r2, r3]);
    } finally {
      await second.close();
    }
  });

  test("a second kubun on the same data directory is refused while the first runs", async () => {
    const dataDir = await tempDataDir();
    const first = await Datastore.open({ dataDir, log, compaction: false });
    try {
      await expect(Datastore.open({ dataDir, log })).rejects.toThrow(/data directory is in use/);
    } finally {
      await first.close();
    }
    const again = await Datastore.open({ dataDir, log, compaction: false });
    await again.close();
  });

  test("acknowledged writes survive a PostgreSQL killed with SIGKILL mid-write", async () => {
    const dataDir = await tempDataDir();
    const pg = new EmbeddedPostgres({ dataDir, log });
    await pg.start();
    const migrator = openDatabase({ ...pg.target, max: 1 });
    await runMigrations(migrator);
    await migrator.end();

    const child = Bun.spawn(["bun", join(import.meta.dir, "fixtures/crash-writer.ts")], {
      env: { ...process.env, KUBUN_TEST_DB: JSON.stringify(pg.target), KUBUN_LOG: "error" },
      stdout: "pipe",
      stderr: "ignore",
    });
    const acks: string[] = [];
    const decoder = new TextDecoder();
    let pending = "";
    let killed = false;
    for await (const chunk of child.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("ack ")) acks.push(line);
      if (!killed && acks.length >= 500) {
        process.kill(await postmasterPid(pg.pgData), "SIGKILL");
        killed = true;
      }
    }
    await child.exited;
    expect(child.exitCode).not.toBe(0);
    expect(acks.length).toBeGreaterThanOrEqual(500);

    // Crash recovery on restart, then every acknowledged write must be there.
    const restarted = await Datastore.open({ dataDir, log, compaction: false });
    try {
      const sql = restarted.sql;
      const rows = await sql<{ revision: number; key: string; value: string }[]>`
        select revision, key, value from kubun_history`;
      const stored = new Set(rows.map((row) => `ack ${row.revision} ${row.key} ${row.value}`));
      const lost = acks.filter((ack) => !stored.has(ack));
      expect(lost).toEqual([]);
    } finally {
      await restarted.close();
    }
  });

  test("a PostgreSQL left running by a killed kubun is taken over at the next start", async () => {
    const dataDir = await tempDataDir();
    const first = await Datastore.open({ dataDir, log, compaction: false });
    await first.store.create("/orphan/a", "1");
    const orphan = await postmasterPid(join(dataDir, "postgres"));
    // Simulate kill -9 of kubun: the lock stays behind with a dead PID, PostgreSQL runs on.
    await first.store.close();
    await first.sql.end();
    await Bun.write(join(dataDir, "kubun.lock"), "999999999\n");
    expect(isAlive(orphan)).toBe(true);

    const second = await Datastore.open({ dataDir, log, compaction: false });
    try {
      expect(isAlive(orphan)).toBe(false);
      expect((await second.store.get("/orphan/a"))?.value).toBe("1");
    } finally {
      await second.close();
    }
  });
});

describe("the data directory check", () => {
  test("refuses a data directory the postgres user cannot reach, saying how to fix it", async () => {
    if (process.getuid?.() !== 0) return; // only root hands PostgreSQL to another user
    const dataDir = await tempDataDir();
    await chmod(dataDir, 0o700);
    await expect(Datastore.open({ dataDir, log })).rejects.toThrow(/chmod o\+x/);
  });
});

describe("RevisionStore on an external PostgreSQL URL", () => {
  test("works the same through --datastore postgres://…", async () => {
    const { testDatabase } = await import("../support/postgres.ts");
    const db = await testDatabase();
    const sql = openDatabase({ url: db.url, max: 2 });
    const store = await RevisionStore.open(sql, { log });
    try {
      const rev = await store.create("/url/a", "1");
      expect((await store.get("/url/a"))?.revision).toBe(rev);
    } finally {
      await store.close();
      await sql.end();
      await db.close();
    }
  });
});

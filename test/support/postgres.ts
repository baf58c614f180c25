import { readFileSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logger } from "../../src/log/logger.ts";
import { isAlive } from "../../src/store/data-dir-lock.ts";
import { type DatabaseOptions, openDatabase, type Sql } from "../../src/store/database.ts";
import { EmbeddedPostgres } from "../../src/store/embedded-postgres.ts";
import { runMigrations } from "../../src/store/migrate.ts";

/**
 * One embedded PostgreSQL for the whole `bun test` run (started on first use), and
 * a fresh, migrated database per caller, cloned from a template database. Tests
 * run against the real thing: no store mocks.
 */
export interface TestDatabase {
  name: string;
  options: DatabaseOptions;
  /** A `postgres://` URL for child processes (`kubun server --datastore …`). */
  url: string;
  /** Opens another pool on this database; closed by `close()`. */
  connect(options?: Partial<DatabaseOptions>): Sql;
  close(): Promise<void>;
}

const root = join(tmpdir(), `kubun-test-pg-${process.pid}`);
let server: Promise<EmbeddedPostgres> | null = null;
let counter = 0;

/** Servers of earlier runs that were killed before they could stop theirs. */
async function removeStaleServers(): Promise<void> {
  for (const entry of await readdir(tmpdir())) {
    const match = /^kubun-test-pg-(\d+)$/.exec(entry);
    if (!match || isAlive(Number(match[1]))) continue;
    const dataDir = join(tmpdir(), entry);
    await new EmbeddedPostgres({ dataDir, log: logger("test-postgres") }).stop().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function startServer(): Promise<EmbeddedPostgres> {
  await removeStaleServers();
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true, mode: 0o755 });
  const pg = new EmbeddedPostgres({
    dataDir: root,
    log: logger("test-postgres"),
    // Test data is disposable: trade crash safety for speed, except where a test
    // asks for durability (it starts its own server).
    settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
  });
  await pg.start();
  process.once("exit", () => {
    // Last resort if the run ends without stopTestPostgres(): fast shutdown in the
    // background, since an exiting process cannot wait for it.
    try {
      const pid = Number.parseInt(readFileSync(join(pg.pgData, "postmaster.pid"), "utf8"), 10);
      if (pid > 0) process.kill(pid, "SIGINT");
    } catch {}
  });
  const admin = openDatabase({ ...pg.target, database: "postgres", max: 1 });
  await admin.unsafe("create database kubun_template");
  await admin.end();
  const template = openDatabase({ ...pg.target, database: "kubun_template", max: 1 });
  await runMigrations(template);
  await template.end();
  return pg;
}

/** Stops the shared server; the preload calls it once after every test file ran. */
export async function stopTestPostgres(): Promise<void> {
  if (!server) return;
  const pg = await server;
  server = null;
  await pg.stop();
  await rm(root, { recursive: true, force: true });
}

/** A fresh database, migrated unless `empty` (then servers must migrate it themselves). */
export async function testDatabase(wanted: { empty?: boolean } = {}): Promise<TestDatabase> {
  server ??= startServer();
  const pg = await server;
  const name = `kubun_t${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = openDatabase({ ...pg.target, database: "postgres", max: 1 });
  await admin.unsafe(
    `create database ${name} template ${wanted.empty ? "template0" : "kubun_template"}`,
  );
  await admin.end();
  const options: DatabaseOptions = { ...pg.target, database: name };
  const pools: Sql[] = [];
  return {
    name,
    options,
    url: `postgres://${pg.target.user}@localhost/${name}?host=${encodeURIComponent(pg.target.host)}`,
    connect(extra = {}) {
      const sql = openDatabase({ ...options, ...extra });
      pools.push(sql);
      return sql;
    },
    async close() {
      await Promise.all(pools.map((sql) => sql.end({ timeout: 1 })));
    },
  };
}

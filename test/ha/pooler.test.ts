/**
 * A transaction-mode pooler in front of PostgreSQL breaks session locks: the
 * server refuses such a datastore at start with a clear error, and so does the
 * leader election on its own.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeaderElectionError, LeaderElector } from "../../src/ha/leader-election.ts";
import { logger } from "../../src/log/logger.ts";
import { openDatabase } from "../../src/store/database.ts";
import { runKubun } from "../support/kubun-process.ts";
import { type TestDatabase, testDatabase } from "../support/postgres.ts";
import { startTransactionPooler, type TransactionPooler } from "../support/transaction-pooler.ts";

let db: TestDatabase;
let pooler: TransactionPooler;
let url: string;

beforeAll(async () => {
  db = await testDatabase();
  pooler = await startTransactionPooler(`${db.options.host}/.s.PGSQL.${db.options.port}`);
  url = `postgres://${db.options.user}@127.0.0.1:${pooler.port}/${db.options.database}`;
});

afterAll(async () => {
  await pooler.close();
  await db.close();
});

test("the pooler really spreads one connection over several backends", async () => {
  const sql = openDatabase({ url, max: 1 });
  try {
    const a = await sql.unsafe("select pg_backend_pid() as pid");
    const b = await sql.unsafe("select pg_backend_pid() as pid, 2 as n");
    expect(a[0]?.pid).not.toBe(b[0]?.pid);
  } finally {
    await sql.end({ timeout: 1 });
  }
});

test("kubun server refuses a datastore behind a transaction-mode pooler", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "kubun-pooler-"));
  try {
    const result = await runKubun([
      "server",
      "--no-agent",
      "--datastore",
      url,
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--bind-address",
      "127.0.0.1",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("transaction-mode pooler");
    expect(result.stdout).not.toContain("ready on");
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("leader election refuses the lock it cannot hold behind the pooler", async () => {
  const elector = new LeaderElector({
    database: { url },
    identity: "behind-pooler",
    log: logger("pooler-elector"),
    periodMs: 100,
    onStartedLeading: () => {
      throw new Error("must not lead behind a transaction-mode pooler");
    },
    onStoppedLeading: () => {},
  });
  const error = await elector.start().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LeaderElectionError);
  expect((error as Error).message).toContain("transaction-mode pooler");
  expect(elector.isLeader()).toBe(false);
  await elector.stop();
});

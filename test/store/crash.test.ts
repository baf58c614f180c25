import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { logger } from "../../src/log/logger.ts";
import { RevisionStore } from "../../src/store/revision-store.ts";
import { type TestDatabase, testDatabase } from "../support/postgres.ts";
import { take } from "../support/store.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.close());

interface Ack {
  revision: number;
  key: string;
  value: string;
}

/** Runs the crash writer until it has acknowledged `count` writes, then SIGKILLs it. */
async function writeThenKill(count: number): Promise<Ack[]> {
  const child = Bun.spawn(["bun", join(import.meta.dir, "fixtures/crash-writer.ts")], {
    env: { ...process.env, KUBUN_TEST_DB: JSON.stringify(db.options) },
    stdout: "pipe",
    stderr: "inherit",
  });
  const acks: Ack[] = [];
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of child.stdout) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const [, revision, key, value] = line.split(" ");
      acks.push({ revision: Number(revision), key: key ?? "", value: value ?? "" });
    }
    if (acks.length >= count) {
      child.kill("SIGKILL");
      break;
    }
  }
  await child.exited;
  expect(child.signalCode).toBe("SIGKILL");
  return acks;
}

describe("a writer killed with SIGKILL", () => {
  test("loses no acknowledged write and leaves no partial write", async () => {
    const acks = await writeThenKill(2000);
    expect(acks.length).toBeGreaterThanOrEqual(2000);
    const sql = db.connect({ max: 1 });
    const history = await sql<{ revision: number; key: string; value: string }[]>`
      select revision, key, value from kubun_history order by revision`;
    const byRevision = new Map(history.map((row) => [row.revision, row]));
    for (const ack of acks) {
      expect(byRevision.get(ack.revision)).toEqual(ack);
    }
    // Whole writes only: revisions are gap-free up to the counter, and the current
    // table holds exactly each key's latest history row.
    const [counter] = await sql<{ revision: number }[]>`select revision from kubun_counter`;
    expect(history.map((row) => row.revision)).toEqual(
      Array.from({ length: counter!.revision }, (_, i) => i + 1),
    );
    const latest = new Map<string, { key: string; revision: number; value: string }>();
    for (const row of history) latest.set(row.key, row);
    const current = await sql<{ key: string; revision: number; value: string }[]>`
      select key, revision, value from kubun_current order by key`;
    expect(current.length).toBe(latest.size);
    for (const row of current) {
      expect(latest.get(row.key)).toEqual({
        key: row.key,
        revision: row.revision,
        value: row.value,
      });
    }
  });

  test("a new store carries on from the surviving revision and replays it to watchers", async () => {
    const store = await RevisionStore.open(db.connect(), { log: logger("test-restart") });
    try {
      const survived = await store.currentRevision();
      const watcher = store.watch("/crash/", survived - 3);
      const next = await store.update("/crash/w0/k0", "after-restart");
      expect(next.revision).toBe(survived + 1);
      const events = await take(watcher, 4);
      watcher.close();
      expect(events.map((e) => e.revision)).toEqual([
        survived - 2,
        survived - 1,
        survived,
        survived + 1,
      ]);
    } finally {
      await store.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { logger } from "../../src/log/logger.ts";
import { Compactor, compactHistory } from "../../src/store/compactor.ts";
import { ExpiredError } from "../../src/store/errors.ts";
import type { RevisionStore } from "../../src/store/revision-store.ts";
import { type StoreFixture, storeFixture } from "../support/store.ts";

let fx: StoreFixture;
let store: RevisionStore;
const log = logger("test-compactor");

beforeAll(async () => {
  fx = await storeFixture();
  store = fx.store;
});
afterAll(() => fx.close());

async function historyOf(prefix: string) {
  const sql = fx.db.connect({ max: 1 });
  return sql<{ revision: number; deleted: boolean }[]>`
    select revision, deleted from kubun_history where key like ${`${prefix}%`} order by revision`;
}

describe("compaction", () => {
  test("removes superseded versions and tombstones at or below the revision, keeps the rest", async () => {
    const a1 = await store.create("/cmp/a", "a1");
    const a2 = (await store.update("/cmp/a", "a2")).revision;
    const b1 = await store.create("/cmp/b", "b1");
    const b2 = (await store.delete("/cmp/b")).revision;
    const c1 = await store.create("/cmp/c", "c1");
    const target = await store.currentRevision();
    const a3 = (await store.update("/cmp/a", "a3")).revision;
    await store.compact(target);
    const rows = (await historyOf("/cmp/")).map((r) => r.revision);
    // a1 superseded by a2 (≤ target): gone. b1 and its tombstone b2: gone.
    // a2 is the latest a as of target, superseded only after it: kept, like c1 and a3.
    expect(rows).toEqual([a2, c1, a3]);
    expect([a1, b1, b2].some((r) => rows.includes(r))).toBe(false);
    // Reads at exactly the compact revision still see everything as it was.
    const snapshot = await store.list("/cmp/", { revision: target });
    expect(snapshot.items.map((kv) => kv.value)).toEqual(["a2", "c1"]);
    await expect(store.list("/cmp/", { revision: target - 1 })).rejects.toBeInstanceOf(
      ExpiredError,
    );
    expect(await store.compactRevision()).toBe(target);
  });

  test("the current state is untouched", async () => {
    await store.create("/keep/a", "1");
    await store.update("/keep/a", "2");
    await store.create("/keep/b", "1");
    const before = await store.list("/keep/");
    await store.compact(await store.currentRevision());
    expect(await store.list("/keep/")).toEqual(before);
  });

  test("never compacts past the current revision and never moves backwards", async () => {
    const current = await store.currentRevision();
    await store.compact(current + 1000);
    expect(await store.compactRevision()).toBe(current);
    await store.compact(1);
    expect(await store.compactRevision()).toBe(current);
  });

  test("works in batches and resumes an interrupted run from its recorded progress", async () => {
    const start = await store.currentRevision();
    for (let i = 0; i < 30; i++) {
      await Promise.all(
        Array.from({ length: 200 }, (_, j) =>
          store.update(`/batch/k${j}`, `${i}`).catch(() => store.create(`/batch/k${j}`, `${i}`)),
        ),
      );
    }
    const target = await store.currentRevision();
    expect(target - start).toBeGreaterThan(5000);
    // Simulate a crash after the compact revision was set but before any deletion.
    const sql = fx.db.connect({ max: 1 });
    await sql`update kubun_compaction set revision = ${target} where id = 1`;
    expect((await historyOf("/batch/")).length).toBe(6000);
    const result = await compactHistory(sql, target, log);
    expect(result.removed).toBe(5800);
    expect((await historyOf("/batch/")).length).toBe(200);
    const [state] = await sql`select revision, progress from kubun_compaction`;
    expect(state).toEqual({ revision: target, progress: target });
  });

  test("a scheduled compactor keeps the retention window", async () => {
    const sql = fx.db.connect({ max: 2 });
    const first = await store.create("/sched/a", "1");
    const compactor = new Compactor(sql, log, { intervalMs: 20, retentionMs: 0 });
    compactor.start();
    try {
      // With no retention, each tick compacts to the revision it sampled.
      for (;;) {
        if ((await store.compactRevision()) >= first) break;
        await Bun.sleep(10);
      }
    } finally {
      await compactor.stop();
    }
    const before = await store.compactRevision();
    await store.update("/sched/a", "2");
    const keepAll = new Compactor(sql, log, { intervalMs: 20, retentionMs: 3_600_000 });
    keepAll.start(); // ticks at once; stop() waits for that tick
    await keepAll.stop();
    expect(await store.compactRevision()).toBe(before);
  });
});

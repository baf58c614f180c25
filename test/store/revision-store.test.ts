import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  ExpiredError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  ValueTooLargeError,
} from "../../src/store/errors.ts";
import { maxValueBytes } from "../../src/store/keys.ts";
import type { RevisionStore } from "../../src/store/revision-store.ts";
import { type StoreFixture, storeFixture } from "../support/store.ts";

let fx: StoreFixture;
let store: RevisionStore;

beforeAll(async () => {
  fx = await storeFixture();
  store = fx.store;
});
afterAll(() => fx.close());

describe("RevisionStore writes", () => {
  test("every write gets the next global revision", async () => {
    const start = await store.currentRevision();
    const a = await store.create("/w/a", "1");
    const b = await store.create("/w/b", "1");
    const a2 = await store.update("/w/a", "2", a);
    const d = await store.delete("/w/b", b);
    expect([a, b, a2.revision, d.revision]).toEqual([start + 1, start + 2, start + 3, start + 4]);
    expect(a2.createRevision).toBe(a);
    expect(d.prevValue).toBe("1");
    expect(await store.currentRevision()).toBe(start + 4);
  });

  test("create refuses an existing key and consumes no revision", async () => {
    const rev = await store.create("/c/x", "v");
    await expect(store.create("/c/x", "w")).rejects.toBeInstanceOf(KeyExistsError);
    expect(await store.currentRevision()).toBe(rev);
    expect((await store.get("/c/x"))?.value).toBe("v");
  });

  test("update is a compare-and-swap on the expected revision", async () => {
    const rev = await store.create("/cas/x", "v1");
    const next = await store.update("/cas/x", "v2", rev);
    const error = await store.update("/cas/x", "v3", rev).catch((e) => e);
    expect(error).toBeInstanceOf(RevisionMismatchError);
    expect(error.actual).toBe(next.revision);
    expect((await store.get("/cas/x"))?.value).toBe("v2");
    // 0 means "whatever the current revision is".
    expect((await store.update("/cas/x", "v4", 0)).value).toBe("v4");
  });

  test("update and delete of a missing key fail with KeyNotFoundError", async () => {
    await expect(store.update("/missing/x", "v", 0)).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(store.delete("/missing/x")).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  test("delete with a stale revision fails and keeps the key", async () => {
    const rev = await store.create("/del/x", "v1");
    await store.update("/del/x", "v2", rev);
    await expect(store.delete("/del/x", rev)).rejects.toBeInstanceOf(RevisionMismatchError);
    expect((await store.get("/del/x"))?.value).toBe("v2");
  });

  test("a key can be created again after delete, with a new create revision", async () => {
    const first = await store.create("/re/x", "a");
    await store.delete("/re/x");
    const second = await store.create("/re/x", "b");
    const kv = await store.get("/re/x");
    expect(kv?.createRevision).toBe(second);
    expect(second).toBeGreaterThan(first);
  });

  test("values over 1.5 MiB are refused and nothing is written", async () => {
    const before = await store.currentRevision();
    const big = "x".repeat(maxValueBytes + 1);
    await expect(store.create("/big/x", big)).rejects.toBeInstanceOf(ValueTooLargeError);
    // Multi-byte characters count in UTF-8 bytes, not string length.
    const wide = "é".repeat(maxValueBytes / 2 + 1);
    await expect(store.create("/big/y", wide)).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await store.get("/big/x")).toBeNull();
    expect(await store.currentRevision()).toBe(before);
    const fits = "x".repeat(maxValueBytes);
    expect(await store.create("/big/z", fits)).toBe(before + 1);
  });

  test("concurrent writes are grouped into few transactions, each keeping its own outcome", async () => {
    await store.create("/group/contended", "0");
    const sql = fx.db.connect({ max: 1 });
    const commits = async () =>
      Number(
        (await sql`select xact_commit from pg_stat_database where datname = current_database()`)[0]
          ?.xact_commit,
      );
    await sql`select pg_stat_clear_snapshot()`;
    const before = await commits();
    const writes = 200;
    const results = await Promise.allSettled(
      Array.from({ length: writes }, (_, i) =>
        i % 50 === 0
          ? store.update("/group/contended", `${i}`, 1) // stale: must fail alone
          : store.create(`/group/k${i}`, `${i}`),
      ),
    );
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed).toHaveLength(4);
    for (const f of failed)
      expect((f as PromiseRejectedResult).reason).toBeInstanceOf(RevisionMismatchError);
    const revisions = results
      .filter((r): r is PromiseFulfilledResult<number> => r.status === "fulfilled")
      .map((r) => r.value)
      .sort((a, b) => a - b);
    expect(new Set(revisions).size).toBe(writes - 4);
    // Gap-free: failed compare-and-swaps consumed no revision.
    expect(revisions[revisions.length - 1]! - revisions[0]!).toBe(writes - 5);
    await sql`select pg_stat_clear_snapshot()`;
    // Statistics are flushed lazily; force it so the count is current.
    await sql`select pg_stat_force_next_flush()`.catch(() => {});
    const after = await commits();
    expect(after - before).toBeLessThan(writes / 4);
  });
});

describe("RevisionStore reads", () => {
  test("get returns the latest version or null", async () => {
    const rev = await store.create("/get/a", "A");
    expect(await store.get("/get/a")).toEqual({
      key: "/get/a",
      value: "A",
      revision: rev,
      createRevision: rev,
    });
    expect(await store.get("/get/none")).toBeNull();
  });

  test("get at a revision returns the version visible then", async () => {
    const r1 = await store.create("/getat/a", "1");
    const r2 = (await store.update("/getat/a", "2")).revision;
    const r3 = (await store.delete("/getat/a")).revision;
    expect((await store.get("/getat/a", r1))?.value).toBe("1");
    expect((await store.get("/getat/a", r2))?.value).toBe("2");
    expect(await store.get("/getat/a", r3)).toBeNull();
    expect(await store.get("/getat/a", r1 - 1)).toBeNull();
    await expect(store.get("/getat/a", r3 + 1000)).rejects.toBeInstanceOf(FutureRevisionError);
  });

  test("list returns the keys under a prefix in key order with the snapshot revision", async () => {
    await store.create("/list/b", "B");
    await store.create("/list/a", "A");
    await store.create("/list/c/deep", "C");
    await store.create("/listx/other", "X");
    const result = await store.list("/list/");
    expect(result.items.map((kv) => kv.key)).toEqual(["/list/a", "/list/b", "/list/c/deep"]);
    expect(result.revision).toBe(await store.currentRevision());
    expect(result.more).toBe(false);
  });

  test("list at an old revision returns that snapshot", async () => {
    const r1 = await store.create("/snap/a", "a1");
    await store.create("/snap/b", "b1");
    await store.update("/snap/a", "a2");
    await store.delete("/snap/b");
    await store.create("/snap/c", "c1");
    const old = await store.list("/snap/", { revision: r1 + 1 });
    expect(old.items.map((kv) => [kv.key, kv.value])).toEqual([
      ["/snap/a", "a1"],
      ["/snap/b", "b1"],
    ]);
    expect(old.revision).toBe(r1 + 1);
    const now = await store.list("/snap/");
    expect(now.items.map((kv) => [kv.key, kv.value])).toEqual([
      ["/snap/a", "a2"],
      ["/snap/c", "c1"],
    ]);
  });

  test("a paged list taken while writes continue returns exactly the first page's snapshot", async () => {
    const key = (i: number) => `/page/k${String(i).padStart(3, "0")}`;
    for (let i = 0; i < 50; i++) await store.create(key(i), `v${i}`);
    const expected = await store.list("/page/");
    let page = await store.list("/page/", { limit: 7 });
    const snapshot = page.revision;
    expect(snapshot).toBe(expected.revision);
    const seen = [...page.items];
    let step = 0;
    while (page.more) {
      // Between pages, change keys on both sides of the cursor.
      await store.create(`${key(step * 7 + 3)}x`, "new");
      await store.update(key(step), "changed");
      await store.delete(key(49 - step));
      step++;
      const last = page.items[page.items.length - 1]!.key;
      page = await store.list("/page/", { limit: 7, revision: snapshot, startAfter: last });
      expect(page.revision).toBe(snapshot);
      seen.push(...page.items);
    }
    expect(step).toBeGreaterThan(5);
    expect(seen).toEqual(expected.items);
  });

  test("get and list read the current-state table, never history", async () => {
    await store.create("/cur/a", "A");
    await store.create("/cur/b", "B");
    // With history emptied, reads of the latest state still answer in full.
    const sql = fx.db.connect({ max: 1 });
    await sql
      .begin(async (tx) => {
        await tx`delete from kubun_history where key like '/cur/%'`;
        expect((await store.get("/cur/a"))?.value).toBe("A");
        expect((await store.list("/cur/")).items.map((kv) => kv.value)).toEqual(["A", "B"]);
        throw new Error("rollback");
      })
      .catch((e) => {
        if (e.message !== "rollback") throw e;
      });
  });

  test("reads at a revision below the compaction point are expired", async () => {
    const r1 = await store.create("/exp/a", "1");
    await store.update("/exp/a", "2");
    const r3 = (await store.update("/exp/a", "3")).revision;
    await store.compact(r3);
    await expect(store.get("/exp/a", r1)).rejects.toBeInstanceOf(ExpiredError);
    await expect(store.list("/exp/", { revision: r1 })).rejects.toBeInstanceOf(ExpiredError);
    expect((await store.get("/exp/a", r3))?.value).toBe("3");
  });
});

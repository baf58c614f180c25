import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ExpiredError, StoreClosedError, WatcherOverflowError } from "../../src/store/errors.ts";
import type { RevisionStore } from "../../src/store/revision-store.ts";
import type { WatchEvent } from "../../src/store/watch-event.ts";
import { type StoreFixture, storeFixture, take } from "../support/store.ts";

let fx: StoreFixture;
let store: RevisionStore;

beforeAll(async () => {
  fx = await storeFixture();
  store = fx.store;
});
afterAll(() => fx.close());

function summary(events: WatchEvent[]) {
  return events.map((e) => [e.type, e.key, e.value, e.prevValue]);
}

describe("watch", () => {
  test("delivers puts and deletes under the prefix with previous values", async () => {
    const from = await store.currentRevision();
    const watcher = store.watch("/wa/", from);
    const r1 = await store.create("/wa/x", "1");
    await store.create("/wb/ignored", "z");
    await store.update("/wa/x", "2", r1);
    await store.delete("/wa/x");
    const events = await take(watcher, 3);
    watcher.close();
    expect(summary(events)).toEqual([
      ["put", "/wa/x", "1", null],
      ["put", "/wa/x", "2", "1"],
      ["delete", "/wa/x", null, "2"],
    ]);
    expect(events[0]?.revision).toBe(r1);
    expect(events[2]?.createRevision).toBe(r1);
  });

  test("starting from an older revision replays history first, then goes live", async () => {
    const from = await store.currentRevision();
    await store.create("/replay/a", "a");
    await store.create("/replay/b", "b");
    const watcher = store.watch("/replay/", from);
    await store.create("/replay/c", "c");
    const events = await take(watcher, 3);
    watcher.close();
    expect(events.map((e) => e.key)).toEqual(["/replay/a", "/replay/b", "/replay/c"]);
  });

  test("a watcher far behind catches up from the history table without a gap", async () => {
    // A tiny in-memory buffer forces the catch-up through the database.
    const small = await fx.open({ bufferSize: 5 });
    const from = await store.currentRevision();
    const writes = 2500;
    for (let i = 0; i < writes; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => store.create(`/far/k${i + j}`, `${i + j}`)),
      );
    }
    await small.waitForRevision(from + writes);
    const watcher = small.watch("/far/", from);
    const live = store.create("/far/live", "live");
    const events = await take(watcher, writes + 1);
    await live;
    watcher.close();
    const revisions = events.map((e) => e.revision);
    expect(revisions).toEqual(Array.from({ length: writes + 1 }, (_, i) => from + 1 + i));
    expect(events[writes]?.key).toBe("/far/live");
  });

  test("watching from a compacted revision fails with ExpiredError", async () => {
    const r1 = await store.create("/cw/a", "1");
    await store.update("/cw/a", "2");
    const r3 = (await store.update("/cw/a", "3")).revision;
    await store.compact(r3);
    const other = await fx.open();
    expect(() => store.watch("/cw/", r1)).toThrow(ExpiredError);
    expect(() => other.watch("/cw/", r1)).toThrow(ExpiredError);
    const ok = other.watch("/cw/", r3);
    await store.update("/cw/a", "4");
    expect(summary(await take(ok, 1))).toEqual([["put", "/cw/a", "4", "3"]]);
    ok.close();
  });

  test("32 concurrent writers through two stores: watchers on both see the same gap-free sequence", async () => {
    const second = await fx.open();
    const from = await store.currentRevision();
    const w1 = store.watch("/race/", from);
    const w2 = second.watch("/race/", from);
    const acknowledged = new Map<number, string>();
    const perWriter = 40;
    await Promise.all(
      Array.from({ length: 32 }, async (_, writer) => {
        const target = writer % 2 === 0 ? store : second;
        for (let i = 0; i < perWriter; i++) {
          const key = `/race/w${writer}/k${i % 5}`;
          const value = `${writer}:${i}`;
          const rev =
            i < 5 ? await target.create(key, value) : (await target.update(key, value)).revision;
          acknowledged.set(rev, `${key}=${value}`);
        }
      }),
    );
    const total = 32 * perWriter;
    const [e1, e2] = await Promise.all([take(w1, total), take(w2, total)]);
    w1.close();
    w2.close();
    const seq1 = e1.map((e) => `${e.revision} ${e.key}=${e.value}`);
    const seq2 = e2.map((e) => `${e.revision} ${e.key}=${e.value}`);
    expect(seq2).toEqual(seq1);
    expect(e1.map((e) => e.revision)).toEqual(
      Array.from({ length: total }, (_, i) => from + 1 + i),
    );
    for (const event of e1)
      expect(acknowledged.get(event.revision)).toBe(`${event.key}=${event.value}`);
    expect(acknowledged.size).toBe(total);
  });

  test("a feed without LISTEN delivers by polling", async () => {
    const polling = await fx.open({ listen: false, pollIntervalMs: 20 });
    const watcher = polling.watch("/poll/", await store.currentRevision());
    const rev = await store.create("/poll/a", "1");
    expect((await take(watcher, 1))[0]?.revision).toBe(rev);
    watcher.close();
  });

  test("the feed resumes after its database connections are terminated", async () => {
    const second = await fx.open({ pollIntervalMs: 100 });
    const watcher = second.watch("/reconnect/", await store.currentRevision());
    const admin = fx.db.connect({ max: 1 });
    // Kill every other backend of this database: the second store's listener and pool included.
    await admin`select pg_terminate_backend(pid) from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid()`;
    const written: number[] = [];
    for (let i = 0; i < 5; i++) {
      // The writer's pool was cut too: retry until it is back, as a client would.
      for (;;) {
        try {
          written.push(await store.create(`/reconnect/k${i}`, `${i}`));
          break;
        } catch {}
      }
    }
    const events = await take(watcher, 5);
    watcher.close();
    expect(events.map((e) => e.revision)).toEqual(written);
  });

  test("closing the store ends its watchers with StoreClosedError", async () => {
    const extra = await fx.open();
    const watcher = extra.watch("/closing/", await extra.currentRevision());
    const next = watcher.next().catch((error) => error);
    await extra.close();
    expect(await next).toBeInstanceOf(StoreClosedError);
  });

  test("a watcher that nobody reads is closed with WatcherOverflowError instead of growing forever", async () => {
    const bounded = await fx.open({ maxWatcherBacklog: 50 });
    const from = await store.currentRevision();
    const watcher = bounded.watch("/overflow/", from);
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.create(`/overflow/k${i}`, "v")));
    await bounded.waitForRevision(from + 60);
    await expect(watcher.next()).rejects.toBeInstanceOf(WatcherOverflowError);
  });

  test("a feed that fell behind compaction expires its watchers and carries on", async () => {
    // No notifications and no poll in time: this feed reads only when asked to.
    const lagging = await fx.open({ listen: false, pollIntervalMs: 600_000 });
    const from = await store.currentRevision();
    const watcher = lagging.watch("/lag/", from);
    const r1 = await store.create("/lag/a", "1");
    await store.update("/lag/a", "2", r1);
    const r3 = (await store.update("/lag/a", "3")).revision;
    await store.compact(r3);
    await lagging.waitForRevision(r3);
    await expect(watcher.next()).rejects.toBeInstanceOf(ExpiredError);
    const fresh = lagging.watch("/lag/", r3);
    await lagging.waitForRevision((await store.update("/lag/a", "4")).revision);
    expect(summary(await take(fresh, 1))).toEqual([["put", "/lag/a", "4", "3"]]);
    fresh.close();
  });
});

describe("watch from ahead of the feed", () => {
  test("a watcher starting at a revision the feed has not delivered yet gets nothing twice", async () => {
    // A feed that only reads when asked: it stays behind the table.
    const behind = await fx.open({ listen: false, pollIntervalMs: 600_000 });
    const r1 = await store.create("/ahead/a", "1");
    const r2 = (await store.update("/ahead/a", "2")).revision;
    // The caller read the table at r2 (as a list does) and watches from there.
    const watcher = behind.watch("/ahead/", r2);
    const r3 = (await store.update("/ahead/a", "3")).revision;
    await behind.waitForRevision(r3);
    const events = await take(watcher, 1);
    watcher.close();
    expect(events.map((e) => e.revision)).toEqual([r3]);
    expect(r1).toBeLessThan(r2);
  });
});

import { logger } from "../../src/log/logger.ts";
import { RevisionStore, type RevisionStoreOptions } from "../../src/store/revision-store.ts";
import type { WatchEvent } from "../../src/store/watch-event.ts";
import type { Watcher } from "../../src/store/watcher.ts";
import { type TestDatabase, testDatabase } from "./postgres.ts";

/** A migrated test database with one store on it; `open()` adds more stores (servers). */
export interface StoreFixture {
  db: TestDatabase;
  store: RevisionStore;
  open(options?: RevisionStoreOptions): Promise<RevisionStore>;
  close(): Promise<void>;
}

export async function storeFixture(options: RevisionStoreOptions = {}): Promise<StoreFixture> {
  const db = await testDatabase();
  const stores: RevisionStore[] = [];
  const open = async (extra: RevisionStoreOptions = {}) => {
    const store = await RevisionStore.open(db.connect(), {
      log: logger("test-store"),
      ...options,
      ...extra,
    });
    stores.push(store);
    return store;
  };
  const store = await open();
  return {
    db,
    store,
    open,
    async close() {
      await Promise.all(stores.map((s) => s.close()));
      await db.close();
    },
  };
}

/** Takes exactly `count` events from a watcher, failing after `timeoutMs` with what arrived. */
export async function take(
  watcher: Watcher,
  count: number,
  timeoutMs = 20_000,
): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const deadline = setTimeout(() => watcher.close(), timeoutMs);
  try {
    while (events.length < count) {
      const next = await watcher.next();
      if (next.done) {
        throw new Error(`watcher ended after ${events.length} of ${count} events`);
      }
      events.push(next.value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return events;
}

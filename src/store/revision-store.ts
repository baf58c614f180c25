import { eq } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { type Logger, logger } from "../log/logger.ts";
import { compactHistory } from "./compactor.ts";
import type { Sql } from "./database.ts";
import {
  ExpiredError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  StoreClosedError,
  translatePostgresError,
  ValueTooLargeError,
} from "./errors.ts";
import { exceedsValueLimit, maxValueBytes, prefixEnd, utf8Length } from "./keys.ts";
import * as schema from "./schema.ts";
import { identityTransformer, type ValueTransformer } from "./value-transformer.ts";
import { WatchFeed, type WatchFeedOptions } from "./watch-feed.ts";
import type { Watcher } from "./watcher.ts";
import { WriteBatcher, type WriteOp, type WriteOutcome } from "./write-batcher.ts";

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that produced this version (its resourceVersion). */
  revision: number;
  /** Revision of the write that created the key. */
  createRevision: number;
}

export interface ListOptions {
  /** Read the snapshot at this revision instead of the latest (pagination continues this way). */
  revision?: number;
  /** At most this many keys; `more` tells whether there are others. */
  limit?: number;
  /** Only keys after this one (exclusive), to continue a paged list. */
  startAfter?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The snapshot the items come from. */
  revision: number;
  more: boolean;
}

export interface DeleteResult {
  revision: number;
  /** The value that was deleted. */
  prevValue: string;
}

export interface RevisionStoreOptions extends WatchFeedOptions {
  log?: Logger;
}

interface CurrentRow {
  key: string;
  value: string;
  revision: number;
  create_revision: number;
}

/**
 * An etcd-like key space on PostgreSQL: every write gets one global, strictly
 * increasing revision; current state is read from `kubun_current`, never from
 * history; watches come from the history table in revision order.
 *
 * Keys look like `/registry/<group>/<resource>/<namespace>/<name>`; values are
 * opaque strings (the objects' JSON). Writes go through the group-commit batcher;
 * reads go straight to the pool.
 */
export class RevisionStore {
  private readonly db: PostgresJsDatabase<typeof schema>;
  private readonly batcher: WriteBatcher;
  private readonly feed: WatchFeed;
  private readonly log: Logger;
  private readonly transformer: ValueTransformer;
  private closed = false;

  private constructor(
    private readonly sql: Sql,
    options: RevisionStoreOptions,
  ) {
    this.log = options.log ?? logger("store");
    this.db = drizzle(sql, { schema });
    this.feed = new WatchFeed(sql, this.log.child("watch"), options);
    // The writer's own instance feeds its commits to its watchers without reading them back.
    this.transformer = options.transformer ?? identityTransformer;
    this.batcher = new WriteBatcher(
      sql,
      this.log,
      (events) => this.feed.deliverCommitted(events),
      this.transformer,
    );
  }

  /** Opens the store on a migrated database and starts its watch feed. */
  static async open(sql: Sql, options: RevisionStoreOptions = {}): Promise<RevisionStore> {
    const store = new RevisionStore(sql, options);
    await store.feed.start();
    return store;
  }

  /** Creates `key`; fails with KeyExistsError if it exists. Returns the new revision. */
  async create(key: string, value: string): Promise<number> {
    const outcome = await this.write({ kind: "create", key, value, expected: 0 });
    if (outcome.outcome === "exists") throw new KeyExistsError(key, outcome.revision);
    return outcome.revision;
  }

  /**
   * Replaces the value of an existing key, if it is at `expectedRevision` (0 or
   * absent: any revision). Returns the new version.
   */
  async update(key: string, value: string, expectedRevision = 0): Promise<KeyValue> {
    const outcome = await this.write({ kind: "update", key, value, expected: expectedRevision });
    this.throwUnlessOk(key, expectedRevision, outcome);
    return { key, value, revision: outcome.revision, createRevision: outcome.createRevision };
  }

  /** Deletes `key`, if it is at `expectedRevision` (0 or absent: any revision). */
  async delete(key: string, expectedRevision = 0): Promise<DeleteResult> {
    const outcome = await this.write({
      kind: "delete",
      key,
      value: null,
      expected: expectedRevision,
    });
    this.throwUnlessOk(key, expectedRevision, outcome);
    return { revision: outcome.revision, prevValue: outcome.prevValue ?? "" };
  }

  /** The latest version of `key`, or the version visible at `revision`; null if none. */
  async get(key: string, revision?: number): Promise<KeyValue | null> {
    this.assertOpen();
    try {
      if (revision === undefined) {
        // Hot path (every GET and every update's read): plain SQL, no query builder.
        const [row] = await this.sql<CurrentRow[]>`
          select key, value, revision, create_revision from kubun_current where key = ${key}`;
        return row ? this.toKeyValue(row) : null;
      }
      const [row] = await this.sql<
        (CurrentRow & { deleted: boolean | null; current: number; compacted: number })[]
      >`
        select s.current, s.compacted, h.key, h.value, h.revision, h.create_revision, h.deleted
        from (select (select revision from kubun_counter where id = 1) as current,
                     (select revision from kubun_compaction where id = 1) as compacted) s
        left join lateral (
          select * from kubun_history
          where key = ${key} and revision <= ${revision}
          order by revision desc limit 1
        ) h on true`;
      if (!row) return null;
      this.checkReadable(revision, row.current, row.compacted);
      if (row.revision === null || row.deleted) return null;
      return this.toKeyValue(row);
    } catch (error) {
      throw translatePostgresError(error);
    }
  }

  /** Keys under `prefix` in key order, from the latest state or the snapshot at a revision. */
  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const limit = options.limit && options.limit > 0 ? options.limit : null;
    const fetch = limit === null ? null : limit + 1;
    const after = options.startAfter ?? "";
    const end = prefixEnd(prefix);
    try {
      let rows: (CurrentRow & { store_revision: number })[];
      if (options.revision === undefined) {
        // One statement, one snapshot: the counter and the rows agree.
        rows = await this.sql`
          select r.revision as store_revision, c.key, c.value, c.revision, c.create_revision
          from kubun_counter r
          left join lateral (
            select * from kubun_current
            where key >= ${prefix} and key < ${end} and key > ${after}
            order by key limit ${fetch}
          ) c on true
          where r.id = 1`;
      } else {
        const revision = options.revision;
        const snapshot = await this.sql<
          (CurrentRow & { current: number; compacted: number; deleted: boolean })[]
        >`
          select s.current, s.compacted, v.key, v.value, v.revision, v.create_revision
          from (select (select revision from kubun_counter where id = 1) as current,
                       (select revision from kubun_compaction where id = 1) as compacted) s
          left join lateral (
            select * from (
              select distinct on (key) key, value, revision, create_revision, deleted
              from kubun_history
              where key >= ${prefix} and key < ${end} and key > ${after} and revision <= ${revision}
              order by key, revision desc
            ) latest
            where not deleted
            order by key limit ${fetch}
          ) v on true`;
        const first = snapshot[0];
        if (first) this.checkReadable(revision, first.current, first.compacted);
        rows = snapshot.map((row) => ({ ...row, store_revision: revision }));
      }
      const snapshotRevision = rows[0]?.store_revision ?? 0;
      const items: KeyValue[] = [];
      for (const row of rows) if (row.key !== null) items.push(this.toKeyValue(row));
      const more = limit !== null && items.length > limit;
      if (more) items.length = limit;
      return { items, revision: snapshotRevision, more };
    } catch (error) {
      throw translatePostgresError(error);
    }
  }

  /** The revision of the latest committed write. */
  async currentRevision(): Promise<number> {
    this.assertOpen();
    try {
      // Hot path: every consistent list and watch asks for it.
      const [row] = await this.sql<{ revision: number }[]>`
        select revision from kubun_counter where id = 1`;
      return row?.revision ?? 0;
    } catch (error) {
      throw translatePostgresError(error);
    }
  }

  /**
   * Removes history superseded at or below `revision` (clamped to the current
   * revision); reads and watches below it then fail with ExpiredError.
   */
  async compact(revision: number): Promise<number> {
    this.assertOpen();
    const result = await compactHistory(this.sql, revision, this.log);
    this.feed.observeCompaction(result.revision);
    return result.removed;
  }

  /** Reads below this revision are expired. */
  async compactRevision(): Promise<number> {
    const [row] = await this.db
      .select({ revision: schema.compaction.revision })
      .from(schema.compaction)
      .where(eq(schema.compaction.id, 1));
    return row?.revision ?? 0;
  }

  /**
   * Events for keys under `prefix` with revisions above `afterRevision`, in revision
   * order, then live ones as they commit. Throws ExpiredError if `afterRevision` was
   * compacted. Close the watcher (or break out of the loop) to stop.
   */
  watch(prefix: string, afterRevision: number): Watcher {
    this.assertOpen();
    return this.feed.watch(prefix, afterRevision);
  }

  /** Resolves once this instance's watch feed has delivered `revision`. */
  waitForRevision(revision: number): Promise<void> {
    return this.feed.waitForRevision(revision);
  }

  /** The highest revision this instance's watch feed has delivered. */
  get watchedRevision(): number {
    return this.feed.revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.close();
    await this.feed.close();
  }

  private write(op: WriteOp): Promise<WriteOutcome> {
    this.assertOpen();
    if (op.value !== null && exceedsValueLimit(op.value)) {
      return Promise.reject(new ValueTooLargeError(op.key, utf8Length(op.value), maxValueBytes));
    }
    return this.batcher.submit(op);
  }

  private throwUnlessOk(key: string, expected: number, outcome: WriteOutcome): void {
    if (outcome.outcome === "missing") throw new KeyNotFoundError(key);
    if (outcome.outcome === "conflict")
      throw new RevisionMismatchError(key, expected, outcome.revision);
  }

  private checkReadable(revision: number, current: number, compacted: number): void {
    if (revision < compacted) throw new ExpiredError(revision, compacted);
    if (revision > current) throw new FutureRevisionError(revision, current);
  }

  private toKeyValue(row: CurrentRow): KeyValue {
    return {
      key: row.key,
      value: this.transformer.fromStorage(row.key, row.value),
      revision: row.revision,
      createRevision: row.create_revision,
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

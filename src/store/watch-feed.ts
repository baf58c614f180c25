import type { Logger } from "../log/logger.ts";
import type { Sql } from "./database.ts";
import { ExpiredError, StoreClosedError, translatePostgresError } from "./errors.ts";
import { prefixEnd } from "./keys.ts";
import { identityTransformer, readStored, type ValueTransformer } from "./value-transformer.ts";
import type { WatchEvent } from "./watch-event.ts";
import { Watcher } from "./watcher.ts";

export interface WatchFeedOptions {
  /** Safety-net poll for a lost notification or a reconnect gap. */
  pollIntervalMs?: number;
  /** Recent events kept in memory, so that watches starting a little behind need no query. */
  bufferSize?: number;
  /** Undelivered events a watcher may hold before it is closed as too slow. */
  maxWatcherBacklog?: number;
  /**
   * LISTEN for commit notifications (default). Off, the feed only polls: for
   * connections where LISTEN does not work, such as transaction-mode poolers.
   */
  listen?: boolean;
  /** How values are stored (encryption at rest); identity by default. */
  transformer?: ValueTransformer;
}

interface HistoryRow {
  compacted: number;
  revision: number | null;
  key: string;
  create_revision: number;
  prev_revision: number;
  deleted: boolean;
  value: string | null;
  prev_value: string | null;
}

/** Rows read per query, both for the live feed and for a watcher catching up. */
const pageSize = 1000;

/**
 * The watch feed (hot path). Every committed batch sends `NOTIFY kubun_revision`;
 * each store instance then reads the history rows above the last revision it has
 * seen, in revision order, and fans them out to its watchers. A slow poll covers a
 * lost notification. Revisions are handed out in commit order (see kubun_apply), so
 * reading `revision > last` never skips a row that commits later: two instances on
 * one database deliver identical sequences.
 *
 * A watcher starting behind the feed first catches up from the in-memory buffer or,
 * further back, from the history table, then turns live without a gap: the switch
 * happens synchronously after the last catch-up step.
 */
export class WatchFeed {
  /** Highest revision read from the database and delivered to live watchers. */
  revision = 0;
  private compactRevision = 0;
  private readonly watchers = new Set<Watcher>();
  private recent: WatchEvent[] = [];
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  /** Highest revision known to be committed (from NOTIFY or this instance's own writes). */
  private known = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private revisionWaiters: {
    revision: number;
    resolve: () => void;
    reject: (e: unknown) => void;
  }[] = [];
  private closed = false;
  private readonly bufferSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxWatcherBacklog: number;
  private readonly listen: boolean;
  private readonly transformer: ValueTransformer;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    options: WatchFeedOptions = {},
  ) {
    this.bufferSize = options.bufferSize ?? 10_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxWatcherBacklog = options.maxWatcherBacklog ?? 100_000;
    this.listen = options.listen ?? true;
    this.transformer = options.transformer ?? identityTransformer;
  }

  async start(): Promise<void> {
    const [row] = await this.sql<{ revision: number; compacted: number }[]>`
      select (select revision from kubun_counter where id = 1) as revision,
             (select revision from kubun_compaction where id = 1) as compacted`;
    this.revision = row?.revision ?? 0;
    this.compactRevision = row?.compacted ?? 0;
    if (this.listen) {
      // postgres.js re-listens after a reconnect and calls onlisten again: catch up then.
      const listening = await this.sql.listen(
        "kubun_revision",
        (payload) => {
          void this.pump(Number(payload));
        },
        () => void this.pump(),
      );
      this.unlisten = listening.unlisten;
    }
    this.timer = setInterval(() => void this.pump(), this.pollIntervalMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const watcher of [...this.watchers]) watcher.fail(new StoreClosedError());
    for (const waiter of this.revisionWaiters) waiter.reject(new StoreClosedError());
    this.revisionWaiters = [];
    await this.pumping;
    await this.unlisten?.().catch(() => {});
  }

  /** Resolves once this instance has delivered every event up to `revision`. */
  waitForRevision(revision: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    if (this.closed) return Promise.reject(new StoreClosedError());
    const waiting = new Promise<void>((resolve, reject) => {
      this.revisionWaiters.push({ revision, resolve, reject });
    });
    void this.pump();
    return waiting;
  }

  /** Events under `prefix` with revisions above `after`, then live ones. */
  watch(prefix: string, after: number): Watcher {
    if (this.closed) throw new StoreClosedError();
    if (after < this.compactRevision) throw new ExpiredError(after, this.compactRevision);
    const watcher = new Watcher(prefix, after, this.maxWatcherBacklog, (w) =>
      this.watchers.delete(w),
    );
    this.watchers.add(watcher);
    void this.catchUp(watcher);
    return watcher;
  }

  /**
   * Takes the changes this instance just committed (hot path). When they follow
   * the last delivered revision directly, they are delivered as they are; when
   * another instance's writes came in between, the feed reads history instead,
   * so the order stays the database's.
   */
  deliverCommitted(events: WatchEvent[]): void {
    const first = events[0];
    const last = events[events.length - 1];
    if (this.closed || !first || !last) return;
    if (first.revision === this.revision + 1) {
      if (last.revision > this.known) this.known = last.revision;
      this.deliver(events);
    } else if (last.revision > this.revision) {
      void this.pump(last.revision);
    }
  }

  /**
   * Reads and delivers new history rows; concurrent calls share one reader. With
   * `committed` (a revision known to be committed) it reads only if that revision
   * has not been delivered yet, so that a notification arriving while the reader
   * is already fetching that revision costs no second query.
   */
  pump(committed?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (committed !== undefined) {
      if (committed <= this.revision) return this.pumping ?? Promise.resolve();
      if (committed > this.known) this.known = committed;
    }
    if (this.pumping) {
      if (committed === undefined) this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = this.readNew().finally(() => {
      this.pumping = null;
    });
    return this.pumping;
  }

  private async readNew(): Promise<void> {
    do {
      this.pumpAgain = false;
      let rows: HistoryRow[];
      try {
        rows = await this.readHistory(this.revision, "", pageSize);
      } catch (error) {
        this.log.warn("watch feed read failed; retrying on the next notification or poll", {
          error: translatePostgresError(error),
        });
        return;
      }
      if (this.closed) return;
      const first = rows[0];
      if (first) this.observeCompaction(first.compacted);
      const events = toEvents(rows, this.transformer);
      if (events[0]) this.skipCompactedGap(events[0].revision);
      if (events.length > 0) this.deliver(events);
      if (events.length === pageSize) this.pumpAgain = true;
    } while ((this.pumpAgain || this.revision < this.known) && !this.closed);
  }

  /** Learns a compact revision (from a history read, or from this instance's own compaction). */
  observeCompaction(compacted: number): void {
    if (compacted > this.compactRevision) this.compactRevision = compacted;
  }

  /**
   * Rows missing right after the feed's revision mean compaction removed events it
   * never delivered (e.g. after a long disconnect): its watchers cannot be served
   * gap-free any more and must start again.
   */
  private skipCompactedGap(first: number): void {
    if (first <= this.revision + 1) return;
    if (this.compactRevision < this.revision + 1) {
      this.log.error("revision gap in history", { after: this.revision, got: first });
      return;
    }
    this.log.warn("watch feed fell behind compaction; closing its watchers", {
      feed: this.revision,
      compacted: this.compactRevision,
    });
    for (const watcher of [...this.watchers]) {
      watcher.fail(new ExpiredError(watcher.cursor, this.compactRevision));
    }
    this.recent = [];
    this.revision = first - 1;
  }

  private deliver(events: WatchEvent[]): void {
    for (const event of events) {
      if (event.revision <= this.revision) continue;
      this.revision = event.revision;
      this.recent.push(event);
      for (const watcher of this.watchers) {
        // A watcher may start ahead of the feed (from a list read straight from the
        // table): it has those revisions already and must not get them again.
        if (watcher.live && event.revision > watcher.cursor && watcher.matches(event.key)) {
          watcher.push(event);
        }
      }
    }
    for (const watcher of this.watchers) {
      if (watcher.live && watcher.cursor < this.revision) watcher.cursor = this.revision;
    }
    if (this.recent.length > this.bufferSize * 2) {
      this.recent = this.recent.slice(this.recent.length - this.bufferSize);
    }
    if (this.revisionWaiters.length > 0) {
      const ready = this.revisionWaiters.filter((w) => w.revision <= this.revision);
      this.revisionWaiters = this.revisionWaiters.filter((w) => w.revision > this.revision);
      for (const waiter of ready) waiter.resolve();
    }
  }

  private async catchUp(watcher: Watcher): Promise<void> {
    while (!watcher.closed) {
      if (watcher.cursor >= this.revision) {
        watcher.live = true;
        return;
      }
      const firstBuffered = this.recent[0]?.revision;
      if (firstBuffered !== undefined && firstBuffered <= watcher.cursor + 1) {
        // Everything missing is in memory: deliver it and go live in this same tick.
        let i = this.recent.length - (this.revision - watcher.cursor);
        if (i < 0 || this.recent[i]?.revision !== watcher.cursor + 1) {
          i = this.recent.findIndex((e) => e.revision > watcher.cursor);
        }
        for (; i < this.recent.length; i++) {
          const event = this.recent[i] as WatchEvent;
          if (watcher.matches(event.key)) watcher.push(event);
        }
        watcher.cursor = this.revision;
        watcher.live = true;
        return;
      }
      // Read up to the feed's revision as it is now; it may move on during the query.
      const target = this.revision;
      let rows: HistoryRow[];
      try {
        rows = await this.readHistory(watcher.cursor, watcher.prefix, pageSize, target);
      } catch (error) {
        watcher.fail(translatePostgresError(error));
        return;
      }
      const compacted = rows[0]?.compacted ?? 0;
      if (compacted > watcher.cursor) {
        watcher.fail(new ExpiredError(watcher.cursor, compacted));
        return;
      }
      const events = toEvents(rows, this.transformer);
      for (const event of events) watcher.push(event);
      // Fewer than a page: nothing else under the prefix up to the feed's revision then.
      const last = events[events.length - 1];
      watcher.cursor = events.length === pageSize && last ? last.revision : target;
    }
  }

  /**
   * History rows above `after` (and up to `upTo`), under `prefix`, with each row's
   * previous value and the compaction revision read in the same snapshot. The
   * compaction revision comes back even when no row matches.
   */
  private readHistory(after: number, prefix: string, limit: number, upTo?: number) {
    const from = prefix;
    const to = prefix === "" ? "\uffff\uffff" : prefixEnd(prefix);
    const until = upTo ?? Number.MAX_SAFE_INTEGER;
    return this.sql<HistoryRow[]>`
      select c.revision as compacted, h.*
      from kubun_compaction c
      left join lateral (
        select h.revision, h.key, h.create_revision, h.prev_revision, h.deleted, h.value,
               p.value as prev_value
        from kubun_history h
        left join kubun_history p on p.revision = h.prev_revision and h.prev_revision > 0
        where h.revision > ${after} and h.revision <= ${until}
          and h.key >= ${from} and h.key < ${to}
        order by h.revision
        limit ${limit}
      ) h on true
      where c.id = 1`;
  }
}

function toEvents(rows: HistoryRow[], transformer: ValueTransformer): WatchEvent[] {
  const events: WatchEvent[] = [];
  for (const row of rows) {
    if (row.revision === null) continue;
    events.push({
      type: row.deleted ? "delete" : "put",
      key: row.key,
      revision: row.revision,
      createRevision: row.create_revision,
      prevRevision: row.prev_revision,
      value: readStored(transformer, row.key, row.value),
      prevValue: readStored(transformer, row.key, row.prev_value),
    });
  }
  return events;
}

import type { Logger } from "../log/logger.ts";
import type { Sql } from "./database.ts";
import { translatePostgresError } from "./errors.ts";

/**
 * History revisions examined per delete statement. Each batch is its own short
 * transaction and touches only history rows no reader at or above the compact
 * revision needs, so writers never wait on compaction.
 */
const batchRevisions = 2000;

/**
 * Compacts history up to `revision`: afterwards reads and watches below it are
 * expired, and every history row at or below it that has been superseded by a
 * write at or below it is deleted, as are tombstones at or below it. The latest
 * version of each key as of `revision` stays, so reads at exactly `revision` work.
 *
 * The compact revision is committed first, so a reader never sees a deleted row
 * without also seeing the new compact revision. Deletion progress is recorded per
 * batch; a later call resumes an interrupted one. Safe to run concurrently from
 * several servers (every step is idempotent). Returns the compact revision in
 * force and the number of rows removed.
 */
export async function compactHistory(
  sql: Sql,
  revision: number,
  log: Logger,
): Promise<{ revision: number; removed: number }> {
  try {
    const [state] = await sql<{ revision: number; progress: number }[]>`
      update kubun_compaction
      set revision = greatest(revision, least(${revision}, (select revision from kubun_counter where id = 1)))
      where id = 1
      returning revision, progress`;
    if (!state) return { revision: 0, removed: 0 };
    let removed = 0;
    let low = state.progress;
    const target = state.revision;
    while (low < target) {
      const high = Math.min(low + batchRevisions, target);
      const result = await sql`
        with batch as (
          select revision, prev_revision, deleted from kubun_history
          where revision > ${low} and revision <= ${high}
        )
        delete from kubun_history
        where revision in (
          select prev_revision from batch where prev_revision > 0
          union all
          select revision from batch where deleted
        )`;
      removed += result.count;
      await sql`update kubun_compaction set progress = greatest(progress, ${high}) where id = 1`;
      low = high;
    }
    if (removed > 0) log.debug("compacted", { revision: target, removed });
    return { revision: target, removed };
  } catch (error) {
    throw translatePostgresError(error);
  }
}

export interface CompactorOptions {
  /** How often to compact. Default 5 minutes, like kube-apiserver. */
  intervalMs?: number;
  /** History younger than this is kept. Default 5 minutes. */
  retentionMs?: number;
}

/**
 * Compacts on a schedule, keeping `retention` of history: each tick records the
 * current revision with the time, and compacts to the newest recorded revision
 * that is at least `retention` old (kube-apiserver compacts to the revision it saw
 * one interval earlier, the same idea).
 */
export class Compactor {
  private readonly samples: { at: number; revision: number }[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private readonly intervalMs: number;
  private readonly retentionMs: number;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    options: CompactorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5 * 60_000;
    this.retentionMs = options.retentionMs ?? 5 * 60_000;
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.compactOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async compactOnce(): Promise<void> {
    try {
      const now = Date.now();
      const [row] = await this.sql<{ revision: number }[]>`
        select revision from kubun_counter where id = 1`;
      this.samples.push({ at: now, revision: row?.revision ?? 0 });
      let target = 0;
      while (this.samples.length > 0 && now - (this.samples[0]?.at ?? now) >= this.retentionMs) {
        target = this.samples.shift()?.revision ?? target;
      }
      if (target > 0) await compactHistory(this.sql, target, this.log);
    } catch (error) {
      this.log.warn("compaction failed; will retry next interval", { error });
    }
  }
}

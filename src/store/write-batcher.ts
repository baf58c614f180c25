import type { Logger } from "../log/logger.ts";
import type { Sql } from "./database.ts";
import { StoreClosedError, translatePostgresError } from "./errors.ts";
import { identityTransformer, readStored, type ValueTransformer } from "./value-transformer.ts";
import type { WatchEvent } from "./watch-event.ts";

export type WriteKind = "create" | "update" | "delete";

export interface WriteOp {
  kind: WriteKind;
  key: string;
  /** New value; null for a delete. */
  value: string | null;
  /** Revision the key must have for the write to apply; 0 accepts any. */
  expected: number;
}

export type WriteOutcomeCode = "ok" | "exists" | "conflict" | "missing";

export interface WriteOutcome {
  outcome: WriteOutcomeCode;
  /** The new revision when ok; the key's current revision on exists/conflict. */
  revision: number;
  createRevision: number;
  /** The replaced value, for an ok update or delete. */
  prevValue: string | null;
}

interface Pending {
  op: WriteOp;
  resolve: (outcome: WriteOutcome) => void;
  reject: (error: unknown) => void;
}

interface ApplyRow {
  o_outcome: WriteOutcomeCode;
  o_revision: number;
  o_create_revision: number;
  o_prev_revision: number;
  o_prev_value: string | null;
}

/** Bounds one batch so that a burst never makes one huge transaction or parameter. */
const maxBatchOps = 512;
const maxBatchBytes = 8 * 1024 * 1024;
/** A batch slower than this is worth a warning: writers were waiting on it. */
const slowBatchMs = 500;

/**
 * Group commit (hot path). Writes submitted while a batch is in flight wait and go
 * together in the next one: one call of `kubun_apply`, one transaction, one WAL
 * flush for all of them. Each write keeps its own revision and outcome: a failed
 * compare-and-swap does not fail its neighbours. A write's promise resolves only
 * after its batch committed; if the batch fails, every write in it is rejected and
 * none of them was acknowledged.
 *
 * Exactly one batch is in flight per batcher, so writes from one store instance
 * commit in submission order.
 */
export class WriteBatcher {
  private queue: Pending[] = [];
  private inFlight = false;
  private closed = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    /** Called after each committed batch with its changes, in revision order. */
    private readonly onCommit: (events: WatchEvent[]) => void,
    private readonly transformer: ValueTransformer = identityTransformer,
  ) {}

  submit(op: WriteOp): Promise<WriteOutcome> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.inFlight) void this.drain();
    });
  }

  /** Stops accepting writes and waits for those already submitted. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.inFlight && this.queue.length === 0) return;
    await new Promise<void>((resolve) => {
      this.idle = resolve;
    });
  }

  private async drain(): Promise<void> {
    this.inFlight = true;
    while (this.queue.length > 0) {
      // Let the writers whose promises just resolved submit their next write (several
      // microtask hops away) so that it joins this batch instead of the one after.
      // Also before the first batch: a drain usually starts from the first of those
      // writers, with the others a few microtasks behind (measured: skipping it here
      // halves the rate at 16 writers).
      await new Promise((resolve) => setImmediate(resolve));
      const batch = this.takeBatch();
      await this.apply(batch);
    }
    this.inFlight = false;
    this.idle?.();
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && count < maxBatchOps) {
      bytes += this.queue[count]?.op.value?.length ?? 0;
      count++;
      if (bytes >= maxBatchBytes) break;
    }
    return this.queue.splice(0, count);
  }

  private async apply(batch: Pending[]): Promise<void> {
    const kinds: string[] = [];
    const keys: string[] = [];
    const values: (string | null)[] = [];
    const expected: number[] = [];
    for (const { op } of batch) {
      kinds.push(op.kind);
      keys.push(op.key);
      values.push(op.value === null ? null : this.transformer.toStorage(op.key, op.value));
      expected.push(op.expected);
    }
    const started = performance.now();
    let rows: ApplyRow[];
    try {
      rows = await this.sql<ApplyRow[]>`
        select o_outcome, o_revision, o_create_revision, o_prev_revision, o_prev_value
        from kubun_apply(${kinds}::text[], ${keys}::text[], ${values}::text[], ${expected}::bigint[])`;
    } catch (error) {
      const translated = translatePostgresError(error);
      this.log.warn("write batch failed", { ops: batch.length, error: translated });
      for (const pending of batch) pending.reject(translated);
      return;
    }
    const elapsed = performance.now() - started;
    const committed: WatchEvent[] = [];
    for (let i = 0; i < batch.length; i++) {
      const row = rows[i];
      if (row) row.o_prev_value = readStored(this.transformer, keys[i] as string, row.o_prev_value);
      const pending = batch[i] as Pending;
      if (!row) {
        pending.reject(
          new Error(`kubun_apply returned ${rows.length} rows for ${batch.length} writes`),
        );
        continue;
      }
      if (row.o_outcome === "ok") {
        committed.push({
          type: pending.op.kind === "delete" ? "delete" : "put",
          key: pending.op.key,
          revision: row.o_revision,
          createRevision: row.o_create_revision,
          prevRevision: row.o_prev_revision,
          value: pending.op.value,
          prevValue: row.o_prev_value,
        });
      }
      if (this.log.isDebug()) {
        this.log.debug(pending.op.kind, {
          key: pending.op.key,
          expected: pending.op.expected,
          outcome: row.o_outcome,
          revision: row.o_revision,
        });
      }
      pending.resolve({
        outcome: row.o_outcome,
        revision: row.o_revision,
        createRevision: row.o_create_revision,
        prevValue: row.o_prev_value,
      });
    }
    if (elapsed > slowBatchMs) {
      this.log.warn("slow write batch", { ops: batch.length, ms: Math.round(elapsed) });
    }
    if (committed.length > 0) this.onCommit(committed);
  }
}

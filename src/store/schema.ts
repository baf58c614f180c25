import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * Keys compare byte-wise (COLLATE "C") whatever the database's default collation is:
 * prefix ranges (`key >= prefix AND key < prefixEnd`) and list order must not depend
 * on the locale PostgreSQL was initialised with.
 */
const keyText = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

/** Revisions fit in 53 bits for ~285,000 years at a million writes per second. */
const revision = (name: string) => bigint(name, { mode: "number" });

/**
 * Append-only history: one row per write, `revision` is the global write counter.
 * A delete is a tombstone row (`deleted`, no value). `prev_revision` links a row to
 * the version it replaced (0 for a create), which is what compaction and the watch
 * feed's previous values follow.
 */
export const history = pgTable(
  "kubun_history",
  {
    revision: revision("revision").primaryKey(),
    key: keyText("key").notNull(),
    createRevision: revision("create_revision").notNull(),
    prevRevision: revision("prev_revision").notNull(),
    deleted: boolean("deleted").notNull(),
    value: text("value"),
  },
  // Reads at an older revision (paged lists, get at a revision) walk a key's versions.
  (t) => [index("kubun_history_key_revision").on(t.key, t.revision)],
);

/** Latest live version of every key, written in the same transaction as its history row. */
export const current = pgTable("kubun_current", {
  key: keyText("key").primaryKey(),
  revision: revision("revision").notNull(),
  createRevision: revision("create_revision").notNull(),
  value: text("value").notNull(),
});

/**
 * The single row holding the revision counter. Writers lock it (`FOR UPDATE`) for the
 * whole write transaction, which serialises revision assignment: revision N+1 cannot
 * be handed out before the transaction that took N has committed and become visible.
 */
export const counter = pgTable(
  "kubun_counter",
  {
    id: integer("id").primaryKey(),
    revision: revision("revision").notNull(),
  },
  (t) => [check("kubun_counter_single_row", sql`${t.id} = 1`)],
);

/**
 * Compaction state, apart from the counter so that compaction never takes the
 * writers' lock. `revision`: reads and watches below it are expired. `progress`:
 * history has been cleaned up to here (a crash mid-way resumes from it).
 */
export const compaction = pgTable(
  "kubun_compaction",
  {
    id: integer("id").primaryKey(),
    revision: revision("revision").notNull(),
    progress: revision("progress").notNull(),
  },
  (t) => [check("kubun_compaction_single_row", sql`${t.id} = 1`)],
);

/**
 * Who leads the control-plane loops (src/ha). The holder of the leader advisory lock
 * writes its identity, its backend pid, a heartbeat (database clock) and how stale
 * that may get here; others terminate a holder whose heartbeat went staler. `epoch` rises with every new term.
 */
export const leader = pgTable(
  "kubun_leader",
  {
    id: integer("id").primaryKey(),
    epoch: revision("epoch").notNull(),
    holder: text("holder").notNull(),
    backendPid: integer("backend_pid").notNull(),
    heartbeat: timestamp("heartbeat", { withTimezone: true }).notNull(),
    /** The holder's own deadline: deposed once its heartbeat is older than this. */
    staleAfterMs: integer("stale_after_ms").notNull(),
  },
  (t) => [check("kubun_leader_single_row", sql`${t.id} = 1`)],
);

import { mkdir } from "node:fs/promises";
import type { Logger } from "../log/logger.ts";
import { Compactor, type CompactorOptions } from "./compactor.ts";
import { DataDirLock } from "./data-dir-lock.ts";
import { type DatabaseOptions, openDatabase, type Sql } from "./database.ts";
import { EmbeddedPostgres } from "./embedded-postgres.ts";
import { runMigrations } from "./migrate.ts";
import { RevisionStore } from "./revision-store.ts";
import type { ValueTransformer } from "./value-transformer.ts";

export interface DatastoreOptions {
  /** kubun's data directory (lock file, embedded PostgreSQL). */
  dataDir: string;
  /** External PostgreSQL (`postgres://…`); when absent, the embedded one is started. */
  url?: string;
  log: Logger;
  compaction?: CompactorOptions | false;
  /**
   * Runs on a short-lived store before the real one opens, and returns how values
   * are to be stored (the encryption at rest keyed by data kept in the store
   * itself): the real store's watch feed then never holds an undecoded value.
   */
  prepare?: (store: RevisionStore) => Promise<ValueTransformer | undefined>;
}

export type DatabaseTarget = Pick<DatabaseOptions, "url" | "host" | "port" | "user" | "database">;

/**
 * The datastore a server runs on: the data-directory lock, PostgreSQL (embedded or
 * external), migrations, the revision store and its compactor, opened in that order
 * and closed in reverse.
 */
export class Datastore {
  private constructor(
    readonly store: RevisionStore,
    readonly sql: Sql,
    private readonly lock: DataDirLock,
    private readonly embedded: EmbeddedPostgres | null,
    private readonly compactor: Compactor | null,
    /** How to reach the database, for components that need their own connection. */
    readonly target: DatabaseTarget,
  ) {}

  /** Where the data lives, for humans. */
  get description(): string {
    return this.embedded
      ? `embedded PostgreSQL (socket ${this.embedded.socketDir})`
      : "external PostgreSQL";
  }

  static async open(options: DatastoreOptions): Promise<Datastore> {
    await mkdir(options.dataDir, { recursive: true, mode: 0o755 });
    const lock = new DataDirLock(options.dataDir);
    lock.acquire();
    let embedded: EmbeddedPostgres | null = null;
    try {
      let target: DatabaseTarget;
      if (options.url) {
        target = { url: options.url };
      } else {
        embedded = new EmbeddedPostgres({
          dataDir: options.dataDir,
          log: options.log.child("postgres"),
        });
        await embedded.start();
        target = embedded.target;
      }
      const migrator = openDatabase({ ...target, max: 1, applicationName: "kubun-migrate" });
      try {
        await runMigrations(migrator);
      } finally {
        await migrator.end();
      }
      const sql = openDatabase({ ...target, max: 20 });
      let transformer: ValueTransformer | undefined;
      if (options.prepare) {
        const early = await RevisionStore.open(sql, {
          log: options.log.child("store"),
          listen: false,
          pollIntervalMs: 60_000,
        });
        try {
          transformer = await options.prepare(early);
        } catch (error) {
          await early.close();
          await sql.end({ timeout: 5 });
          throw error;
        }
        await early.close();
      }
      const store = await RevisionStore.open(sql, {
        log: options.log.child("store"),
        transformer,
      });
      let compactor: Compactor | null = null;
      if (options.compaction !== false) {
        compactor = new Compactor(sql, options.log.child("compactor"), options.compaction ?? {});
        compactor.start();
      }
      return new Datastore(store, sql, lock, embedded, compactor, target);
    } catch (error) {
      await embedded?.stop().catch(() => {});
      lock.release();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.compactor?.stop();
    await this.store.close();
    await this.sql.end({ timeout: 5 });
    await this.embedded?.stop();
    this.lock.release();
  }
}

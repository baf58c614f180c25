/**
 * The facts of the machine the agent runs on, from /proc, /etc and statfs
 * (the edge of the node agent: everything else takes a NodeFactsSource).
 */
import { readFile, statfs } from "node:fs/promises";
import { arch, cpus, release } from "node:os";
import type { NodeFacts, NodeFactsSource, NodeObservations, NodeSystemInfo } from "./node-facts.ts";

/** /proc/meminfo as bytes per field ("MemTotal: 16384 kB" → 16777216). */
export function parseMeminfo(text: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^([\w()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    fields[match[1]] = Number(match[2]) * (match[3] ? 1024 : 1);
  }
  return fields;
}

/** /etc/os-release's KEY=value lines, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match?.[1] || match[2] === undefined) continue;
    const raw = match[2];
    const quoted = /^"(.*)"$/.exec(raw) ?? /^'(.*)'$/.exec(raw);
    fields[match[1]] = quoted?.[1] !== undefined ? quoted[1].replace(/\\(.)/g, "$1") : raw;
  }
  return fields;
}

/** The task count in /proc/loadavg ("0.10 0.59 0.97 1/87 14936" → 87). */
export function parseLoadavgTasks(text: string): number | undefined {
  const match = /^\S+\s+\S+\s+\S+\s+\d+\/(\d+)\s/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const goArchitectures: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  ia32: "386",
  arm: "arm",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
};

/** Node's `os.arch()` in Go's names, which nodeInfo.architecture and kubernetes.io/arch use. */
export function goArch(nodeArch: string): string {
  return goArchitectures[nodeArch] ?? nodeArch;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** This machine's facts; `dataDir` is where pods' files go (ephemeral storage). */
export class HostFacts implements NodeFactsSource {
  readonly #dataDir: string;
  #systemInfo: NodeSystemInfo | undefined;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  async read(): Promise<NodeFacts> {
    const [meminfo, disk, observed] = await Promise.all([
      readText("/proc/meminfo"),
      statfs(this.#dataDir),
      this.#observePids(),
    ]);
    const memory = parseMeminfo(meminfo ?? "");
    const diskCapacity = disk.blocks * disk.bsize;
    return {
      capacity: {
        cpuCores: cpus().length,
        memoryBytes: memory.MemTotal ?? 0,
        ephemeralStorageBytes: diskCapacity,
      },
      systemInfo: await this.#readSystemInfo(),
      observed: {
        ...observed,
        ...(memory.MemAvailable !== undefined ? { memoryAvailableBytes: memory.MemAvailable } : {}),
        // bavail, not bfree: what an unprivileged writer can still use.
        diskAvailableBytes: disk.bavail * disk.bsize,
        diskCapacityBytes: diskCapacity,
      },
    };
  }

  async #observePids(): Promise<NodeObservations> {
    const [loadavg, pidMax] = await Promise.all([
      readText("/proc/loadavg"),
      readText("/proc/sys/kernel/pid_max"),
    ]);
    const tasks = parseLoadavgTasks(loadavg ?? "");
    const max = Number(pidMax?.trim());
    if (tasks === undefined || !(max > 0)) return {};
    return { pidsAvailable: max - tasks, pidMax: max };
  }

  // Fixed while the machine runs: read once.
  async #readSystemInfo(): Promise<NodeSystemInfo> {
    if (this.#systemInfo) return this.#systemInfo;
    const [machineId, bootId, productUuid, osRelease] = await Promise.all([
      readText("/etc/machine-id"),
      readText("/proc/sys/kernel/random/boot_id"),
      readText("/sys/class/dmi/id/product_uuid"),
      readText("/etc/os-release"),
    ]);
    const os = parseOsRelease(osRelease ?? "");
    const machineID = machineId?.trim() ?? "";
    this.#systemInfo = {
      machineID,
      // The DMI UUID is root-only on many machines; cAdvisor falls back the same way.
      systemUUID: productUuid?.trim() || machineID,
      bootID: bootId?.trim() ?? "",
      kernelVersion: release(),
      osImage: os.PRETTY_NAME ?? os.NAME ?? "Linux",
      operatingSystem: process.platform,
      architecture: goArch(arch()),
    };
    return this.#systemInfo;
  }
}

/**
 * The kubelet's Summary API (stats/v1alpha1, `GET /stats/summary`): node CPU
 * and memory from /proc, each pod's containers from their runtime handles.
 */
import { readFile } from "node:fs/promises";
import type { ContainerLocator, LocatedPod } from "./container-locator.ts";

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
}

export interface MemoryStats {
  time: string;
  workingSetBytes?: number;
  availableBytes?: number;
}

export interface ContainerStats {
  name: string;
  startTime: string;
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStats[];
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface Summary {
  node: { nodeName: string; startTime: string; cpu: CpuStats; memory: MemoryStats };
  pods: PodStats[];
}

/** Cumulative CPU time of the machine, in nanoseconds (all cores, busy time only). */
export interface CpuSample {
  busyNanos: number;
  at: number;
}

/** The machine's measurements: injectable for tests. */
export interface HostStats {
  cpu(): Promise<CpuSample | null>;
  memory(): Promise<{ totalBytes: number; availableBytes: number } | null>;
}

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux this runs on. */
const clockTicksPerSecond = 100;

/** /proc/stat's aggregate "cpu" line: busy = everything but idle and iowait. */
export function parseProcStat(text: string, at: number): CpuSample | null {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return null;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest counted within user)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  const ticks = user + nice + system + irq + softirq + steal;
  return { busyNanos: (ticks * 1e9) / clockTicksPerSecond, at };
}

/** /proc/meminfo's MemTotal and MemAvailable, in bytes. */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } | null {
  const kib = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const totalBytes = kib("MemTotal");
  const availableBytes = kib("MemAvailable") ?? kib("MemFree");
  if (totalBytes === undefined || availableBytes === undefined) return null;
  return { totalBytes, availableBytes };
}

export const procHostStats: HostStats = {
  async cpu() {
    const text = await readFile("/proc/stat", "utf8").catch(() => null);
    return text === null ? null : parseProcStat(text, Date.now());
  },
  async memory() {
    const text = await readFile("/proc/meminfo", "utf8").catch(() => null);
    return text === null ? null : parseMeminfo(text);
  },
};

export interface SummaryOptions {
  nodeName: string;
  locator: ContainerLocator;
  host?: HostStats;
  /** When the node (agent) started. */
  startTime?: Date;
  now?: () => Date;
}

/** Builds summaries; node CPU is the rate since the previous build (since creation, the first). */
export class StatsSummary {
  private readonly host: HostStats;
  private readonly startTime: Date;
  private readonly now: () => Date;
  private last: Promise<CpuSample | null>;

  constructor(private readonly options: SummaryOptions) {
    this.host = options.host ?? procHostStats;
    this.startTime = options.startTime ?? new Date();
    this.now = options.now ?? (() => new Date());
    this.last = this.host.cpu();
  }

  async build(): Promise<Summary> {
    const time = this.now().toISOString();
    const [previous, sample, memory] = await Promise.all([
      this.last,
      this.host.cpu(),
      this.host.memory(),
    ]);
    if (sample) this.last = Promise.resolve(sample);
    const cpu: CpuStats = { time };
    if (previous && sample && sample.at > previous.at) {
      const elapsedNanos = (sample.at - previous.at) * 1e6;
      cpu.usageNanoCores = Math.max(
        0,
        Math.round(((sample.busyNanos - previous.busyNanos) / elapsedNanos) * 1e9),
      );
    }
    const nodeMemory: MemoryStats = { time };
    if (memory) {
      nodeMemory.availableBytes = memory.availableBytes;
      nodeMemory.workingSetBytes = Math.max(0, memory.totalBytes - memory.availableBytes);
    }
    const located = (await this.options.locator.listPods?.()) ?? [];
    return {
      node: {
        nodeName: this.options.nodeName,
        startTime: this.startTime.toISOString(),
        cpu,
        memory: nodeMemory,
      },
      pods: await Promise.all(located.map((pod) => podStats(pod, time))),
    };
  }
}

async function podStats(pod: LocatedPod, time: string): Promise<PodStats> {
  const containers: ContainerStats[] = [];
  for (const container of pod.containers) {
    const handle = container.current?.handle;
    if (!handle) continue;
    const usage = await handle
      .usage()
      .catch(() => ({}) as Awaited<ReturnType<typeof handle.usage>>);
    const cpu: CpuStats = { time };
    if (usage.cpuNanoCores !== undefined) cpu.usageNanoCores = usage.cpuNanoCores;
    const memory: MemoryStats = { time };
    if (usage.memoryBytes !== undefined) memory.workingSetBytes = usage.memoryBytes;
    containers.push({
      name: container.name,
      startTime: handle.startedAt.toISOString(),
      cpu,
      memory,
    });
  }
  const starts = containers.map((c) => c.startTime).sort();
  return {
    podRef: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
    startTime: starts[0] ?? time,
    containers,
    cpu: {
      time,
      ...sum(
        containers.map((c) => c.cpu.usageNanoCores),
        "usageNanoCores",
      ),
    },
    memory: {
      time,
      ...sum(
        containers.map((c) => c.memory.workingSetBytes),
        "workingSetBytes",
      ),
    },
  };
}

/** The sum of the measured values under `key`; nothing when none was measured. */
function sum<K extends string>(values: (number | undefined)[], key: K): Partial<Record<K, number>> {
  const measured = values.filter((v): v is number => v !== undefined);
  if (measured.length === 0) return {};
  return { [key]: measured.reduce((a, b) => a + b, 0) } as Partial<Record<K, number>>;
}

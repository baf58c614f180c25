import { describe, expect, test } from "bun:test";
import type { ContainerHandle } from "../../../src/node-agent/runtime/runtime.ts";
import type { LocatedPod } from "../../../src/node-agent/server/container-locator.ts";
import {
  type CpuSample,
  type HostStats,
  parseMeminfo,
  parseProcStat,
  StatsSummary,
} from "../../../src/node-agent/server/stats-summary.ts";

function handle(
  startedAt: string,
  usage: { cpuNanoCores?: number; memoryBytes?: number },
): ContainerHandle {
  return { startedAt: new Date(startedAt), usage: async () => usage } as unknown as ContainerHandle;
}

function fakeHost(samples: CpuSample[]): HostStats {
  return {
    cpu: async () => samples.shift() ?? null,
    memory: async () => ({ totalBytes: 8_000, availableBytes: 3_000 }),
  };
}

const now = () => new Date("2024-05-01T10:00:10Z");

describe("parsing /proc", () => {
  test("/proc/stat: busy time of the aggregate line, in nanoseconds", () => {
    const text = "cpu  100 20 30 1000 50 5 5 10 0 0\ncpu0 50 10 15 500 25 2 2 5 0 0\n";
    // user+nice+system+irq+softirq+steal = 170 ticks of 10 ms.
    expect(parseProcStat(text, 7)).toEqual({ busyNanos: 1.7e9, at: 7 });
    expect(parseProcStat("intr 1 2\n", 7)).toBeNull();
  });

  test("/proc/meminfo: MemTotal and MemAvailable in bytes", () => {
    const text = "MemTotal:       16 kB\nMemFree:         4 kB\nMemAvailable:    8 kB\n";
    expect(parseMeminfo(text)).toEqual({ totalBytes: 16 * 1024, availableBytes: 8 * 1024 });
    expect(parseMeminfo("MemFree: 4 kB\n")).toBeNull();
  });
});

describe("StatsSummary", () => {
  const pods: LocatedPod[] = [
    {
      namespace: "ns",
      name: "web",
      uid: "uid-web",
      containers: [
        {
          name: "app",
          current: {
            logPath: "/dev/null",
            handle: handle("2024-05-01T10:00:02Z", { cpuNanoCores: 1_000, memoryBytes: 500 }),
          },
          previous: null,
        },
        {
          name: "side",
          current: {
            logPath: "/dev/null",
            handle: handle("2024-05-01T10:00:01Z", { cpuNanoCores: 2_000, memoryBytes: 300 }),
          },
          previous: null,
        },
        { name: "waiting", current: null, previous: null, waitingReason: "ContainerCreating" },
      ],
    },
    {
      namespace: "ns",
      name: "unmeasured",
      uid: "uid-u",
      containers: [
        {
          name: "c",
          current: { logPath: "/dev/null", handle: handle("2024-05-01T10:00:03Z", {}) },
          previous: null,
        },
      ],
    },
  ];
  const locator = { findPod: () => null, listPods: () => pods };

  test("node cpu and memory, pods with their containers' usage", async () => {
    // 0.5 s of busy CPU over 1 s between the first sample (creation) and the build.
    const host = fakeHost([
      { busyNanos: 1e9, at: 1_000 },
      { busyNanos: 1.5e9, at: 2_000 },
    ]);
    const summary = new StatsSummary({
      nodeName: "n1",
      locator,
      host,
      startTime: new Date("2024-05-01T09:00:00Z"),
      now,
    });
    const result = await summary.build();
    const time = "2024-05-01T10:00:10.000Z";
    expect(result.node).toEqual({
      nodeName: "n1",
      startTime: "2024-05-01T09:00:00.000Z",
      cpu: { time, usageNanoCores: 500_000_000 },
      memory: { time, workingSetBytes: 5_000, availableBytes: 3_000 },
    });
    expect(result.pods).toEqual([
      {
        podRef: { name: "web", namespace: "ns", uid: "uid-web" },
        startTime: "2024-05-01T10:00:01.000Z",
        containers: [
          {
            name: "app",
            startTime: "2024-05-01T10:00:02.000Z",
            cpu: { time, usageNanoCores: 1_000 },
            memory: { time, workingSetBytes: 500 },
          },
          {
            name: "side",
            startTime: "2024-05-01T10:00:01.000Z",
            cpu: { time, usageNanoCores: 2_000 },
            memory: { time, workingSetBytes: 300 },
          },
        ],
        cpu: { time, usageNanoCores: 3_000 },
        memory: { time, workingSetBytes: 800 },
      },
      {
        podRef: { name: "unmeasured", namespace: "ns", uid: "uid-u" },
        startTime: "2024-05-01T10:00:03.000Z",
        containers: [
          { name: "c", startTime: "2024-05-01T10:00:03.000Z", cpu: { time }, memory: { time } },
        ],
        cpu: { time },
        memory: { time },
      },
    ]);
  });

  test("node cpu is the rate since the previous call", async () => {
    const host = fakeHost([
      { busyNanos: 0, at: 0 },
      { busyNanos: 1e9, at: 1_000 },
      { busyNanos: 3e9, at: 2_000 },
    ]);
    const summary = new StatsSummary({ nodeName: "n1", locator, host, now });
    expect((await summary.build()).node.cpu.usageNanoCores).toBe(1e9);
    expect((await summary.build()).node.cpu.usageNanoCores).toBe(2e9);
  });

  test("a locator that cannot list pods gives none; unreadable /proc gives no values", async () => {
    const host: HostStats = { cpu: async () => null, memory: async () => null };
    const summary = new StatsSummary({
      nodeName: "n1",
      locator: { findPod: () => null },
      host,
      now,
    });
    const result = await summary.build();
    expect(result.pods).toEqual([]);
    expect(result.node.cpu).toEqual({ time: "2024-05-01T10:00:10.000Z" });
    expect(result.node.memory).toEqual({ time: "2024-05-01T10:00:10.000Z" });
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessContainer } from "../../../../src/node-agent/runtime/process/container.ts";
import type { ProcessRuntime } from "../../../../src/node-agent/runtime/process/process-runtime.ts";
import {
  logTexts,
  newRuntime,
  readCriLog,
  removeAll,
  request,
  scratch,
  waitFor,
} from "./helpers.ts";

const tmp = scratch("cgroups");
const logs = join(tmp.dir, "logs");
let runtime: ProcessRuntime;

beforeAll(() => {
  runtime = newRuntime(join(tmp.dir, "state"));
});
afterAll(async () => {
  await removeAll(runtime);
  tmp.remove();
});

const mib = 1024 * 1024;

describe("process runtime: cgroup v1", () => {
  test("writes the limits and runs every process of the container in its cgroups", async () => {
    const req = request(logs, {
      argv: ["sh", "-c", "cat /proc/self/cgroup; exec sleep 1000"],
      limits: { cpuShares: 512, cpuQuotaMicros: 50_000, memoryBytes: 64 * mib, pids: 50 },
    });
    const handle = (await runtime.start(req)) as ProcessContainer;
    const dirs = handle.cgroup?.dirs;
    expect(dirs?.cpu && dirs.memory && dirs.pids && dirs.cpuacct).toBeTruthy();
    const read = (dir: string | undefined, file: string) =>
      readFileSync(join(dir ?? "", file), "utf8").trim();
    expect(read(dirs?.cpu, "cpu.shares")).toBe("512");
    expect(read(dirs?.cpu, "cpu.cfs_period_us")).toBe("100000");
    expect(read(dirs?.cpu, "cpu.cfs_quota_us")).toBe("50000");
    expect(read(dirs?.memory, "memory.limit_in_bytes")).toBe(String(64 * mib));
    expect(read(dirs?.pids, "pids.max")).toBe("50");
    const lines = await waitFor("the cgroup listing", () => {
      const texts = logTexts(req.logPath);
      return texts.some((t) => t.includes(":memory:")) && texts;
    });
    const id = handle.containerId.replace("process://", "");
    for (const controller of ["memory", "pids", "cpu"]) {
      const line = lines.find((l) => new RegExp(`:(\\w+,)*${controller}(,\\w+)*:`).test(l));
      expect(line?.endsWith(`/${id}`)).toBe(true);
    }
    handle.kill("SIGKILL");
    await handle.exited;
    await runtime.remove(handle);
    for (const dir of Object.values(dirs ?? {})) expect(existsSync(dir)).toBe(false);
  });

  test("leaves the cpu quota unlimited without a cpu limit", async () => {
    const handle = (await runtime.start(
      request(logs, { argv: ["sleep", "1000"], limits: { memoryBytes: 64 * mib } }),
    )) as ProcessContainer;
    expect(
      readFileSync(join(handle.cgroup?.dirs.cpu ?? "", "cpu.cfs_quota_us"), "utf8").trim(),
    ).toBe("-1");
    handle.kill("SIGKILL");
    await handle.exited;
    await runtime.remove(handle);
  });

  test("a container beyond its memory limit is OOMKilled", async () => {
    const req = request(logs, {
      // awk doubles a string until the kernel's OOM killer stops it.
      argv: ["awk", 'BEGIN { s = "x"; while (1) s = s s }'],
      limits: { memoryBytes: 20 * mib },
    });
    const handle = await runtime.start(req);
    expect(await handle.exited).toMatchObject({
      exitCode: 137,
      reason: "OOMKilled",
      signal: "SIGKILL",
    });
    await runtime.remove(handle);
  });

  test("a SIGKILL without OOM is an Error, not OOMKilled", async () => {
    const handle = await runtime.start(
      request(logs, { argv: ["sleep", "1000"], limits: { memoryBytes: 20 * mib } }),
    );
    handle.kill("SIGKILL");
    expect(await handle.exited).toMatchObject({
      exitCode: 137,
      reason: "Error",
      signal: "SIGKILL",
    });
    await runtime.remove(handle);
  });

  test("the pids limit stops forks", async () => {
    const req = request(logs, {
      argv: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 1000 & done; echo forked"],
      limits: { pids: 4 },
    });
    const handle = await runtime.start(req);
    await handle.exited;
    const stderr = readCriLog(req.logPath).filter((l) => l.stream === "stderr");
    expect(stderr.some((l) => /fork/i.test(l.text))).toBe(true);
    await runtime.remove(handle);
  });

  test("usage: memory working set and cpu nanocores from the cgroup", async () => {
    const req = request(logs, {
      // Busy for a while, holding some memory (a 4 MiB shell variable).
      argv: ["sh", "-c", 'x=$(head -c 4194304 /dev/zero | tr "\\0" y); while :; do :; done'],
      limits: { memoryBytes: 256 * mib },
    });
    const handle = await runtime.start(req);
    const usage = await waitFor("measurable usage", async () => {
      const u = await handle.usage();
      return (u.memoryBytes ?? 0) > mib && (u.cpuNanoCores ?? 0) > 0 && u;
    });
    expect(usage.memoryBytes).toBeLessThan(256 * mib);
    // A busy loop uses about one core (2 cores here): well above zero, at most two.
    const next = await waitFor("a second sample", async () => {
      const u = await handle.usage();
      return (u.cpuNanoCores ?? 0) > 0 && u;
    });
    expect(next.cpuNanoCores).toBeGreaterThan(0);
    expect(next.cpuNanoCores).toBeLessThanOrEqual(2.2e9);
    handle.kill("SIGKILL");
    await handle.exited;
    await runtime.remove(handle);
  });
});

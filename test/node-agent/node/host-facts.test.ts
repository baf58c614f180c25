import { describe, expect, test } from "bun:test";
import { cpus, tmpdir } from "node:os";
import {
  goArch,
  HostFacts,
  parseLoadavgTasks,
  parseMeminfo,
  parseOsRelease,
} from "../../../src/node-agent/node/host-facts.ts";

describe("host facts parsing", () => {
  test("meminfo fields become bytes", () => {
    const text = [
      "MemTotal:       16384000 kB",
      "MemFree:         1000 kB",
      "MemAvailable:    2048 kB",
      "HugePages_Total:       0",
      "Hugepagesize:       2048 kB",
      "",
    ].join("\n");
    const fields = parseMeminfo(text);
    expect(fields.MemTotal).toBe(16384000 * 1024);
    expect(fields.MemAvailable).toBe(2048 * 1024);
    expect(fields.HugePages_Total).toBe(0);
    expect(fields.Hugepagesize).toBe(2048 * 1024);
  });

  test("os-release values lose their quotes", () => {
    const text =
      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME='Debian'\nVERSION_ID=12\n# c\n";
    expect(parseOsRelease(text)).toEqual({
      PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)",
      NAME: "Debian",
      VERSION_ID: "12",
    });
  });

  test("the task count comes from loadavg", () => {
    expect(parseLoadavgTasks("0.10 0.59 0.97 1/87 14936\n")).toBe(87);
    expect(parseLoadavgTasks("garbage")).toBeUndefined();
  });

  test("architectures use Go's names", () => {
    expect(goArch("x64")).toBe("amd64");
    expect(goArch("arm64")).toBe("arm64");
    expect(goArch("ia32")).toBe("386");
  });
});

describe("HostFacts", () => {
  test("reads this machine", async () => {
    const facts = await new HostFacts(tmpdir()).read();
    expect(facts.capacity.cpuCores).toBe(cpus().length);
    const memTotal = parseMeminfo(await Bun.file("/proc/meminfo").text()).MemTotal;
    expect(facts.capacity.memoryBytes).toBe(memTotal ?? -1);
    expect(facts.capacity.ephemeralStorageBytes).toBeGreaterThan(0);
    expect(facts.observed.diskCapacityBytes).toBe(facts.capacity.ephemeralStorageBytes);
    expect(facts.observed.diskAvailableBytes).toBeLessThanOrEqual(
      facts.capacity.ephemeralStorageBytes,
    );
    expect(facts.systemInfo.operatingSystem).toBe("linux");
    expect(facts.systemInfo.bootID).toBe(
      (await Bun.file("/proc/sys/kernel/random/boot_id").text()).trim(),
    );
    expect(facts.systemInfo.machineID).toBe((await Bun.file("/etc/machine-id").text()).trim());
    expect(facts.observed.pidMax).toBeGreaterThan(0);
  });
});

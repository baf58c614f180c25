import { describe, expect, test } from "bun:test";
import {
  agentCgroupParent,
  cgroupV1Mounts,
} from "../../../../src/node-agent/runtime/process/cgroups.ts";
import { exitStatusFromWait } from "../../../../src/node-agent/runtime/process/exit-status.ts";
import {
  encodeSpec,
  type SupervisorSpec,
} from "../../../../src/node-agent/runtime/process/spec.ts";

describe("cgroup v1 mounts", () => {
  test("finds each controller, including co-mounted ones and escaped paths", () => {
    const mounts = [
      "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0",
      "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0",
      "cgroup /sys/fs/cgroup/my\\040pids cgroup rw,relatime,pids 0 0",
      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0",
      "cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0",
    ].join("\n");
    expect(cgroupV1Mounts(mounts)).toEqual({
      cpu: "/sys/fs/cgroup/cpu,cpuacct",
      cpuacct: "/sys/fs/cgroup/cpu,cpuacct",
      memory: "/sys/fs/cgroup/memory",
      pids: "/sys/fs/cgroup/my pids",
    });
  });

  test("names the agent's parent cgroup after its state directory", () => {
    expect(agentCgroupParent("/var/lib/kubun/a")).toMatch(/^kubun\/[0-9a-f]{12}$/);
    expect(agentCgroupParent("/var/lib/kubun/a")).not.toBe(agentCgroupParent("/var/lib/kubun/b"));
    expect(agentCgroupParent("/x", "custom")).toStartWith("custom/");
  });
});

describe("exit status", () => {
  const at = new Date(0);
  test("exit codes", () => {
    expect(exitStatusFromWait(0, at, false)).toEqual({
      exitCode: 0,
      reason: "Completed",
      finishedAt: at,
    });
    expect(exitStatusFromWait(3 << 8, at, false)).toEqual({
      exitCode: 3,
      reason: "Error",
      finishedAt: at,
    });
  });

  test("signals, with and without a core dump", () => {
    expect(exitStatusFromWait(15, at, false)).toEqual({
      exitCode: 143,
      reason: "Error",
      signal: "SIGTERM",
      finishedAt: at,
    });
    expect(exitStatusFromWait(0x80 | 11, at, false)).toMatchObject({
      exitCode: 139,
      signal: "SIGSEGV",
    });
  });

  test("OOM wins over the code", () => {
    expect(exitStatusFromWait(9, at, true)).toMatchObject({
      exitCode: 137,
      reason: "OOMKilled",
      signal: "SIGKILL",
    });
    expect(exitStatusFromWait(1 << 8, at, true)).toMatchObject({
      exitCode: 1,
      reason: "OOMKilled",
    });
  });
});

describe("supervisor spec", () => {
  const spec: SupervisorSpec = {
    root: "/r",
    upper: "/u",
    work: "/w",
    hide: "/s",
    logPath: "/l",
    tty: false,
    stdinFifo: "",
    workingDir: "/",
    argv: ["sh", "-c", "a\tb\nc"],
    env: { A: "x=y" },
    cgroups: ["/cg"],
    mounts: [{ hostPath: "/h", containerPath: "/c", readOnly: true }],
    syscalls: { mount: 165 },
  };

  test("is NUL-separated keys and values", () => {
    const fields = encodeSpec(spec).split("\0");
    expect(fields.at(-1)).toBe("");
    expect(fields.slice(16)).toEqual([
      "nr_mount",
      "165",
      "arg",
      "sh",
      "arg",
      "-c",
      "arg",
      "a\tb\nc",
      "env",
      "A=x=y",
      "cg",
      "/cg",
      "mnt",
      "1",
      "/h",
      "/c",
      "",
    ]);
  });

  test("refuses what it cannot carry", () => {
    expect(() => encodeSpec({ ...spec, argv: ["a\0b"] })).toThrow(/NUL/);
    expect(() => encodeSpec({ ...spec, env: { "A=B": "x" } })).toThrow(/environment variable name/);
  });
});

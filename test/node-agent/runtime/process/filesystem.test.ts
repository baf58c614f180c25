import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { ProcessRuntime } from "../../../../src/node-agent/runtime/process/process-runtime.ts";
import { containerDir, logTexts, newRuntime, removeAll, request, scratch } from "./helpers.ts";

const tmp = scratch("fs");
const logs = join(tmp.dir, "logs");
const stateDir = join(tmp.dir, "state");
const roDir = join(tmp.dir, "ro");
const rwDir = join(tmp.dir, "rw");
const hostFile = join(tmp.dir, "config.txt");
const tag = `${process.pid}-${Date.now()}`;
let runtime: ProcessRuntime;

beforeAll(() => {
  mkdirSync(roDir);
  mkdirSync(rwDir);
  writeFileSync(join(roDir, "data"), "read-only data\n");
  writeFileSync(hostFile, "file mount\n");
  runtime = newRuntime(stateDir);
});
afterAll(async () => {
  await removeAll(runtime);
  tmp.remove();
});

describe("process runtime: the container's filesystem view", () => {
  test("writes to / land in the overlay's upper dir, never on the host", async () => {
    const path = `/kubun-root-${tag}`;
    const req = request(logs, {
      argv: [
        "sh",
        "-c",
        `echo inside > ${path} && cat ${path} && rm /etc/hostname && test ! -e /etc/hostname && echo removed`,
      ],
    });
    const handle = await runtime.start(req);
    expect((await handle.exited).exitCode).toBe(0);
    expect(logTexts(req.logPath)).toEqual(["inside", "removed"]);
    expect(existsSync(path)).toBe(false);
    expect(existsSync("/etc/hostname")).toBe(true);
    const upper = join(containerDir(stateDir, handle), "upper");
    expect(readFileSync(join(upper, path), "utf8")).toBe("inside\n");
    await runtime.remove(handle);
    expect(existsSync(upper)).toBe(false);
  });

  test("mounts: read-only refuses writes, read-write writes reach the host, files mount too", async () => {
    const req = request(logs, {
      argv: [
        "sh",
        "-c",
        [
          "cat /data/ro/data",
          "(echo x > /data/ro/new) 2>/dev/null && echo ro-writable || echo ro-refused",
          "echo from-container > /data/rw/out && echo rw-written",
          "cat /etc/kubun/config.txt",
          "(echo x >> /etc/kubun/config.txt) 2>/dev/null && echo file-writable || echo file-refused",
        ].join("; "),
      ],
      mounts: [
        { hostPath: roDir, containerPath: "/data/ro", readOnly: true },
        { hostPath: rwDir, containerPath: "/data/rw", readOnly: false },
        { hostPath: hostFile, containerPath: "/etc/kubun/config.txt", readOnly: true },
      ],
    });
    const handle = await runtime.start(req);
    expect((await handle.exited).exitCode).toBe(0);
    expect(logTexts(req.logPath)).toEqual([
      "read-only data",
      "ro-refused",
      "rw-written",
      "file mount",
      "file-refused",
    ]);
    expect(existsSync(join(roDir, "new"))).toBe(false);
    expect(readFileSync(join(rwDir, "out"), "utf8")).toBe("from-container\n");
    expect(readFileSync(hostFile, "utf8")).toBe("file mount\n");
    // Mount targets were created inside the overlay, not on the host.
    expect(existsSync("/data/ro")).toBe(false);
    expect(existsSync("/etc/kubun")).toBe(false);
    await runtime.remove(handle);
  });

  test("mounts are private to the container's mount namespace", async () => {
    const req = request(logs, {
      argv: ["sh", "-c", "grep -c ' /data/private ' /proc/self/mountinfo"],
      mounts: [{ hostPath: rwDir, containerPath: "/data/private", readOnly: false }],
    });
    const handle = await runtime.start(req);
    await handle.exited;
    expect(logTexts(req.logPath)).toEqual(["1"]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(
      join(containerDir(stateDir, handle), "merged"),
    );
    await runtime.remove(handle);
  });

  test("/proc, /dev and /sys are the host's; the runtime's state is hidden", async () => {
    const req = request(logs, {
      argv: [
        "sh",
        "-c",
        `cat /proc/1/comm; test -c /dev/null && echo dev; test -d /sys/fs/cgroup && echo sys; ls -A ${stateDir} | wc -l`,
      ],
    });
    const handle = await runtime.start(req);
    await handle.exited;
    const host = readFileSync("/proc/1/comm", "utf8").trim();
    expect(logTexts(req.logPath)).toEqual([host, "dev", "sys", "0"]);
    await runtime.remove(handle);
  });

  test("a symbolic link in a mount path resolves inside the container, not on the host", async () => {
    // /escape → the host directory: followed on the host it would put the mount
    // target (a new directory) into hostTarget.
    const hostTarget = join(tmp.dir, "link-target");
    mkdirSync(hostTarget);
    const link = `/kubun-link-${tag}`;
    symlinkSync(hostTarget, link);
    try {
      const req = request(logs, {
        argv: ["sh", "-c", `ls ${link}/mounted`],
        mounts: [{ hostPath: roDir, containerPath: `${link}/mounted`, readOnly: true }],
      });
      const handle = await runtime.start(req);
      await handle.exited;
      expect(logTexts(req.logPath)).toEqual(["data"]);
      expect(existsSync(join(hostTarget, "mounted"))).toBe(false);
      await runtime.remove(handle);
    } finally {
      unlinkSync(link);
    }
  });
});

describe("process runtime without overlayfs", () => {
  // A comma in the state directory makes overlay mount options impossible, the
  // way a host without overlayfs would.
  const fallbackState = join(tmp.dir, "no,overlay");

  test("reports the limitation and runs on the host's / with private mounts", async () => {
    const fallback = newRuntime(fallbackState);
    expect(fallback.limitations.some((l) => l.startsWith("overlayfs unavailable"))).toBe(true);
    const target = join(tmp.dir, "fallback-target");
    const req = request(logs, {
      argv: ["sh", "-c", `cat ${target}/data; grep -c ' ${target} ' /proc/self/mountinfo`],
      mounts: [{ hostPath: roDir, containerPath: target, readOnly: true }],
    });
    const handle = await fallback.start(req);
    expect((await handle.exited).exitCode).toBe(0);
    expect(logTexts(req.logPath)).toEqual(["read-only data", "1"]);
    // The target directory exists on the host (created there), but the mount does not.
    expect(existsSync(join(target, "data"))).toBe(false);
    await fallback.remove(handle);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Logger } from "../../../../src/log/logger.ts";
import {
  agentCgroupParent,
  cgroupV1Mounts,
} from "../../../../src/node-agent/runtime/process/cgroups.ts";
import { ProcessRuntime } from "../../../../src/node-agent/runtime/process/process-runtime.ts";
import type { ContainerHandle, StartRequest } from "../../../../src/node-agent/runtime/runtime.ts";

export const log = new Logger("process-runtime-test");

const cgroupRoot = "kubun-test";
const stateDirs = new Set<string>();

/** A scratch directory per suite; remove() deletes it and its runtimes' parent cgroups. */
export function scratch(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `kubun-${prefix}-`));
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      removeAgentCgroups(dir);
    },
  };
}

export function newRuntime(stateDir: string): ProcessRuntime {
  stateDirs.add(resolve(stateDir));
  return new ProcessRuntime({ stateDir, cgroupRoot, log });
}

function removeAgentCgroups(under: string): void {
  const mounts = new Set(Object.values(cgroupV1Mounts(readFileSync("/proc/self/mounts", "utf8"))));
  for (const stateDir of stateDirs) {
    if (!stateDir.startsWith(under)) continue;
    for (const mount of mounts) {
      rmdirQuietly(join(mount, agentCgroupParent(stateDir, cgroupRoot)));
      rmdirQuietly(join(mount, cgroupRoot));
    }
  }
}

function rmdirQuietly(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Still in use by another suite, or already gone.
  }
}

/** Kills and removes every instance the runtime knows (so a failed test leaves nothing running). */
export async function removeAll(runtime: ProcessRuntime): Promise<void> {
  for (const handle of await runtime.recover()) {
    handle.kill("SIGKILL");
    await handle.exited;
    await runtime.remove(handle);
  }
}

let counter = 0;

/** A request with defaults; logs go under logDir. */
export function request(logDir: string, overrides: Partial<StartRequest>): StartRequest {
  counter++;
  const containerName = overrides.containerName ?? `c${counter}`;
  return {
    podUid: `pod-${process.pid}`,
    namespace: "default",
    podName: "test",
    containerName,
    attempt: 0,
    argv: ["true"],
    env: {},
    workingDir: "",
    mounts: [],
    limits: {},
    stdin: false,
    tty: false,
    logPath: join(logDir, `${containerName}-${counter}.log`),
    ...overrides,
  };
}

export interface LogLine {
  time: string;
  stream: "stdout" | "stderr";
  tag: "F" | "P";
  text: string;
}

/** Parses a CRI log file strictly: every line must be well-formed. */
export function readCriLog(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  if (text === "") return [];
  if (!text.endsWith("\n")) throw new Error(`log ${path} does not end with a newline`);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const match = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
      if (!match) throw new Error(`malformed CRI log line: ${JSON.stringify(line)}`);
      return {
        time: match[1] as string,
        stream: match[2] as "stdout" | "stderr",
        tag: match[3] as "F" | "P",
        text: match[4] as string,
      };
    });
}

/** The full-line texts of one stream. */
export function logTexts(path: string, stream: "stdout" | "stderr" = "stdout"): string[] {
  return readCriLog(path)
    .filter((line) => line.stream === stream)
    .map((line) => line.text);
}

/** Polls a condition with bounded attempts (no fixed sleeps in tests). */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  attempts = 400,
  intervalMs = 25,
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value) return value;
    await Bun.sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The runtime's directory of an instance (white-box: the state layout). */
export function containerDir(stateDir: string, handle: ContainerHandle): string {
  return join(stateDir, "containers", handle.containerId.replace("process://", ""));
}

export async function readStream(stream: ReadableStream<Uint8Array> | null): Promise<string> {
  return stream ? await new Response(stream).text() : "";
}

export function processExists(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

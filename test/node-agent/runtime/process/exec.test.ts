import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessRuntime } from "../../../../src/node-agent/runtime/process/process-runtime.ts";
import type { ContainerHandle } from "../../../../src/node-agent/runtime/runtime.ts";
import {
  logTexts,
  newRuntime,
  readStream,
  removeAll,
  request,
  scratch,
  waitFor,
} from "./helpers.ts";

const tmp = scratch("exec");
const logs = join(tmp.dir, "logs");
const volume = join(tmp.dir, "volume");
const marker = `/kubun-exec-${process.pid}`;
let runtime: ProcessRuntime;
let container: ContainerHandle;

beforeAll(async () => {
  mkdirSync(volume);
  writeFileSync(join(volume, "file"), "from the volume\n");
  runtime = newRuntime(join(tmp.dir, "state"));
  const req = request(logs, {
    argv: ["sh", "-c", `echo inside > ${marker}; echo ready; exec sleep 1000`],
    env: { GREETING: "hello there" },
    workingDir: "/work/dir",
    mounts: [{ hostPath: volume, containerPath: "/vol", readOnly: true }],
    limits: { memoryBytes: 128 * 1024 * 1024 },
  });
  container = await runtime.start(req);
  await waitFor("the container to be ready", () => logTexts(req.logPath).includes("ready"));
});

afterAll(async () => {
  await removeAll(runtime);
  tmp.remove();
});

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = await container.exec(argv, { stdin: false, tty: false });
  expect(proc.stdin).toBeNull();
  const [stdout, stderr, code] = await Promise.all([
    readStream(proc.stdout),
    readStream(proc.stderr),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

describe("process runtime: exec", () => {
  test("runs in the container's view, environment and working directory", async () => {
    const result = await run([
      "sh",
      "-c",
      `pwd; echo "$GREETING"; cat ${marker} /vol/file; env | wc -l`,
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: "/work/dir\nhello there\ninside\nfrom the volume\n3\n",
      stderr: "",
    });
    expect(existsSync(marker)).toBe(false);
  });

  test("runs in the container's cgroups", async () => {
    const id = container.containerId.replace("process://", "");
    const result = await run(["cat", "/proc/self/cgroup"]);
    const memory = result.stdout.split("\n").find((line) => /:memory:/.test(line));
    expect(memory?.endsWith(`/${id}`)).toBe(true);
  });

  test("returns the exit code and stderr", async () => {
    expect(await run(["sh", "-c", "echo oops >&2; exit 5"])).toEqual({
      code: 5,
      stdout: "",
      stderr: "oops\n",
    });
  });

  test("a missing command exits 127", async () => {
    const result = await run(["no-such-command"]);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("no-such-command");
  });

  test("stdin is streamed to the command", async () => {
    const proc = await container.exec(["sh", "-c", "tr a-z A-Z"], { stdin: true, tty: false });
    const output = readStream(proc.stdout);
    const writer = proc.stdin!.getWriter();
    await writer.write(new TextEncoder().encode("shout\n"));
    await writer.close();
    expect(await proc.exited).toBe(0);
    expect(await output).toBe("SHOUT\n");
  });

  test("kill stops the command", async () => {
    const proc = await container.exec(["sleep", "1000"], { stdin: false, tty: false });
    proc.kill("SIGKILL");
    expect(await proc.exited).toBe(137);
  });

  test("tty: a pseudo-terminal that can be resized, stderr merged", async () => {
    const proc = await container.exec(
      ["sh", "-c", 'tty; stty size; read line; stty size; echo "err $line" >&2'],
      {
        stdin: true,
        tty: true,
      },
    );
    expect(proc.stderr).toBeNull();
    let output = "";
    const decoder = new TextDecoder();
    const reading = (async () => {
      for await (const chunk of proc.stdout) output += decoder.decode(chunk, { stream: true });
    })();
    // The terminal would echo input typed early ahead of the output: wait for the prompt's state.
    await waitFor("the initial size", () => output.includes("24 80\r\n"));
    proc.resize(100, 30);
    const writer = proc.stdin!.getWriter();
    await writer.write(new TextEncoder().encode("go\n"));
    expect(await proc.exited).toBe(0);
    await reading;
    const lines = output.split("\r\n");
    expect(lines[0]).toMatch(/^\/dev\/pts\/\d+$/);
    expect(lines.slice(1)).toEqual(["24 80", "go", "30 100", "err go", ""]);
  });

  test("exec fails once the container has ended", async () => {
    const req = request(logs, { argv: ["true"] });
    const ended = await runtime.start(req);
    await ended.exited;
    await expect(ended.exec(["true"], { stdin: false, tty: false })).rejects.toThrow(/not running/);
    await runtime.remove(ended);
  });
});

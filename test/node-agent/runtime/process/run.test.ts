import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessRuntime } from "../../../../src/node-agent/runtime/process/process-runtime.ts";
import {
  logTexts,
  newRuntime,
  processExists,
  readCriLog,
  removeAll,
  request,
  scratch,
  waitFor,
} from "./helpers.ts";

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const tmp = scratch("run");
const logs = join(tmp.dir, "logs");
const shared = join(tmp.dir, "shared");
let runtime: ProcessRuntime;

beforeAll(() => {
  mkdirSync(shared);
  runtime = newRuntime(join(tmp.dir, "state"));
});
afterAll(async () => {
  await removeAll(runtime);
  tmp.remove();
});

const rw = () => [{ hostPath: shared, containerPath: "/shared", readOnly: false }];

describe("process runtime: the command", () => {
  test("has no limitations on this machine", () => {
    expect(runtime.limitations).toEqual([]);
    expect(runtime.name).toBe("process");
  });

  test("runs argv as given, with exactly the given environment and the default PATH", async () => {
    const req = request(logs, { argv: ["env"], env: { A: "1", B: "two words", EMPTY: "" } });
    const handle = await runtime.start(req);
    expect(handle.containerId).toMatch(/^process:\/\/[0-9a-f]{32}$/);
    expect((await handle.exited).exitCode).toBe(0);
    expect(logTexts(req.logPath).sort()).toEqual([
      "A=1",
      "B=two words",
      "EMPTY=",
      `PATH=${defaultPath}`,
    ]);
    await runtime.remove(handle);
  });

  test("keeps a PATH the request gives, and passes arguments verbatim", async () => {
    const req = request(logs, {
      argv: [
        "/bin/sh",
        "-c",
        'for a; do echo "[$a]"; done; echo "$PATH"',
        "sh",
        "a b",
        "",
        "*",
        "$HOME",
      ],
      env: { PATH: "/bin" },
    });
    const handle = await runtime.start(req);
    await handle.exited;
    expect(logTexts(req.logPath)).toEqual(["[a b]", "[]", "[*]", "[$HOME]", "/bin"]);
    await runtime.remove(handle);
  });

  test("runs in the working directory, created inside the container when missing", async () => {
    const dir = `/kubun-wd-${process.pid}/sub`;
    const req = request(logs, { argv: ["pwd"], workingDir: dir });
    const handle = await runtime.start(req);
    await handle.exited;
    expect(logTexts(req.logPath)).toEqual([dir]);
    expect(existsSync(dir)).toBe(false);
    await runtime.remove(handle);
  });

  test("defaults the working directory to /", async () => {
    const req = request(logs, { argv: ["pwd"] });
    const handle = await runtime.start(req);
    await handle.exited;
    expect(logTexts(req.logPath)).toEqual(["/"]);
    await runtime.remove(handle);
  });

  test("runs in its own session and process group", async () => {
    const req = request(logs, { argv: ["cat", "/proc/self/stat"] });
    const handle = await runtime.start(req);
    await handle.exited;
    const stat = logTexts(req.logPath)[0] ?? "";
    const pid = stat.split(" ")[0];
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect(pgrp).toBe(pid);
    expect(session).toBe(pid);
    await runtime.remove(handle);
  });

  test("rejects a command that cannot be executed, leaving nothing behind", async () => {
    const stateDir = join(tmp.dir, "state", "containers");
    const before = new Set(readdirSync(stateDir));
    const req = request(logs, { argv: ["/no/such/command"] });
    await expect(runtime.start(req)).rejects.toThrow(/no\/such\/command.*No such file/);
    expect(readdirSync(stateDir).filter((id) => !before.has(id))).toEqual([]);
  });

  test("rejects a mount whose source is missing", async () => {
    const req = request(logs, {
      argv: ["true"],
      mounts: [{ hostPath: join(tmp.dir, "missing"), containerPath: "/x", readOnly: true }],
    });
    await expect(runtime.start(req)).rejects.toThrow(/missing/);
  });
});

describe("process runtime: logs", () => {
  test("writes stdout and stderr lines in the CRI format", async () => {
    const req = request(logs, {
      argv: [
        "sh",
        "-c",
        "echo out1; echo err1 >&2; echo; printf 'crlf\\r\\n'; printf 'no newline'",
      ],
    });
    const handle = await runtime.start(req);
    await handle.exited;
    const lines = readCriLog(req.logPath);
    for (const line of lines) expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(lines.filter((l) => l.stream === "stdout").map((l) => [l.tag, l.text])).toEqual([
      ["F", "out1"],
      ["F", ""],
      ["F", "crlf"],
      ["P", "no newline"],
    ]);
    expect(lines.filter((l) => l.stream === "stderr").map((l) => [l.tag, l.text])).toEqual([
      ["F", "err1"],
    ]);
    await runtime.remove(handle);
    expect(existsSync(req.logPath)).toBe(true);
  });

  test("splits lines longer than 16 KiB into partial lines", async () => {
    const req = request(logs, {
      argv: ["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' x; echo; echo next"],
    });
    const handle = await runtime.start(req);
    await handle.exited;
    const lines = readCriLog(req.logPath);
    expect(lines.map((l) => [l.tag, l.text.length])).toEqual([
      ["P", 16384],
      ["P", 16384],
      ["F", 40000 - 2 * 16384],
      ["F", 4],
    ]);
    expect(lines.map((l) => l.text).join("")).toBe(`${"x".repeat(40000)}next`);
    await runtime.remove(handle);
  });
});

describe("process runtime: exits and signals", () => {
  test("reports Completed for 0 and Error with the code otherwise", async () => {
    const ok = await runtime.start(request(logs, { argv: ["true"] }));
    const status = await ok.exited;
    expect(status).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(status.signal).toBeUndefined();
    expect(status.finishedAt.getTime()).toBeGreaterThanOrEqual(ok.startedAt.getTime() - 1000);
    const failed = await runtime.start(request(logs, { argv: ["sh", "-c", "exit 7"] }));
    expect(await failed.exited).toMatchObject({ exitCode: 7, reason: "Error" });
    await runtime.remove(ok);
    await runtime.remove(failed);
  });

  test("reports a signal exit as 128+n with the signal's name", async () => {
    const selfKilled = await runtime.start(request(logs, { argv: ["sh", "-c", "kill -TERM $$"] }));
    expect(await selfKilled.exited).toMatchObject({
      exitCode: 143,
      reason: "Error",
      signal: "SIGTERM",
    });
    const req = request(logs, { argv: ["sh", "-c", "echo up; exec sleep 1000"] });
    const killed = await runtime.start(req);
    await waitFor("the container to run", () => logTexts(req.logPath).includes("up"));
    killed.kill("SIGKILL");
    expect(await killed.exited).toMatchObject({
      exitCode: 137,
      reason: "Error",
      signal: "SIGKILL",
    });
    await runtime.remove(selfKilled);
    await runtime.remove(killed);
  });

  test("kill signals the whole process group: a child dies while the main process lives on", async () => {
    const marker = join(shared, "child-pid");
    const script = [
      "sleep 1000 & child=$!",
      "echo $child > /shared/child-pid",
      'trap "echo got-term" TERM',
      "while kill -0 $child 2>/dev/null; do wait $child; done",
      "echo child-gone",
      "exec sleep 1000",
    ].join("\n");
    const req = request(logs, { argv: ["sh", "-c", script], mounts: rw() });
    const handle = await runtime.start(req);
    const child = Number(await waitFor("the child's pid", () => readIfExists(marker)));
    expect(processExists(child)).toBe(true);
    handle.kill("SIGTERM");
    await waitFor("the child to die", () => logTexts(req.logPath).includes("child-gone"));
    expect(processExists(child)).toBe(false);
    expect(logTexts(req.logPath)).toContain("got-term");
    handle.kill("SIGKILL");
    expect((await handle.exited).exitCode).toBe(137);
    await runtime.remove(handle);
  });

  test("what is left of a container dies with its main process", async () => {
    const marker = join(shared, "orphan-pid");
    const req = request(logs, {
      argv: ["sh", "-c", "sleep 1000 & echo $! > /shared/orphan-pid"],
      mounts: rw(),
    });
    const handle = await runtime.start(req);
    await handle.exited;
    const orphan = Number(readFileSync(marker, "utf8"));
    await waitFor("the orphan to be killed", () => !processExists(orphan));
    await runtime.remove(handle);
  });
});

describe("process runtime: stdin and tty", () => {
  test("stdin: writes reach the main process; closing it ends its input", async () => {
    const req = request(logs, {
      argv: ["sh", "-c", 'read line; echo "got $line"; cat; echo done'],
      stdin: true,
    });
    const handle = await runtime.start(req);
    expect(handle.stdin).not.toBeNull();
    const writer = handle.stdin!.getWriter();
    await writer.write(new TextEncoder().encode("hello\n"));
    await waitFor("the first line", () => logTexts(req.logPath).includes("got hello"));
    await writer.write(new TextEncoder().encode("more\n"));
    await writer.close();
    expect((await handle.exited).exitCode).toBe(0);
    expect(logTexts(req.logPath)).toEqual(["got hello", "more", "done"]);
    await runtime.remove(handle);
  });

  test("a container without stdin reads end of input", async () => {
    const req = request(logs, { argv: ["sh", "-c", "cat; echo eof"] });
    const handle = await runtime.start(req);
    expect(handle.stdin).toBeNull();
    await handle.exited;
    expect(logTexts(req.logPath)).toEqual(["eof"]);
    await runtime.remove(handle);
  });

  test("tty: the main process runs on a terminal, its output logged as stdout", async () => {
    const req = request(logs, {
      argv: ["sh", "-c", "test -t 0 && test -t 1 && echo on-a-tty; tty; stty size; echo err >&2"],
      tty: true,
    });
    const handle = await runtime.start(req);
    expect((await handle.exited).exitCode).toBe(0);
    const lines = readCriLog(req.logPath);
    expect(lines.every((l) => l.stream === "stdout")).toBe(true);
    const texts = lines.map((l) => l.text);
    expect(texts[0]).toBe("on-a-tty");
    expect(texts[1]).toMatch(/^\/dev\/pts\/\d+$/);
    expect(texts.slice(2)).toEqual(["24 80", "err"]);
    await runtime.remove(handle);
  });

  test("tty with stdin: input goes through the terminal", async () => {
    const req = request(logs, {
      argv: ["sh", "-c", 'read line; echo "got $line"'],
      tty: true,
      stdin: true,
    });
    const handle = await runtime.start(req);
    const writer = handle.stdin!.getWriter();
    await writer.write(new TextEncoder().encode("typed\n"));
    expect((await handle.exited).exitCode).toBe(0);
    // The terminal echoes the input, then the shell answers.
    expect(logTexts(req.logPath)).toEqual(["typed", "got typed"]);
    await runtime.remove(handle);
  });
});

function readIfExists(path: string): string | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, "utf8").trim();
  return text === "" ? null : text;
}

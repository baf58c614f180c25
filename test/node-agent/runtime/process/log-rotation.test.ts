import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { rotateLog } from "../../../../src/node-agent/pods/log-rotation.ts";
import type { ProcessRuntime } from "../../../../src/node-agent/runtime/process/process-runtime.ts";
import { logTexts, newRuntime, removeAll, request, scratch, waitFor } from "./helpers.ts";

const tmp = scratch("rotation");
let runtime: ProcessRuntime;

beforeAll(() => {
  runtime = newRuntime(join(tmp.dir, "state"));
});
afterAll(async () => {
  await removeAll(runtime);
  tmp.remove();
});

describe("a running container's log rotates by size", () => {
  test("the supervisor follows the path to the new file; old lines stay in the rotated one", async () => {
    const req = request(join(tmp.dir, "logs"), {
      argv: ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.05; done"],
    });
    const handle = await runtime.start(req);
    await waitFor("some output", () => logTexts(req.logPath).length >= 3);
    expect(await rotateLog(req.logPath, { maxBytes: 10, maxFiles: 5 })).toBe(true);
    const rotated = readdirSync(dirname(req.logPath)).filter((name) =>
      name.startsWith(`${basename(req.logPath)}.`),
    );
    expect(rotated).toHaveLength(1);
    const old = join(dirname(req.logPath), rotated[0] as string);
    const before = logTexts(old);
    expect(before[0]).toBe("line 0");
    // New lines land in the new file, continuing where the old one stopped.
    const after = await waitFor("lines in the new log", () => {
      const lines = logTexts(req.logPath);
      return lines.length >= 2 ? lines : undefined;
    });
    const last = Number(logTexts(old).at(-1)?.split(" ")[1]);
    expect(Number(after[0]?.split(" ")[1])).toBeGreaterThan(last - 1);
    handle.kill("SIGKILL");
    await handle.exited;
  });

  test("a log under the limit stays; only the newest rotated files are kept", async () => {
    const dir = join(tmp.dir, "prune");
    const path = join(dir, "0.log");
    await Bun.write(path, "small\n");
    expect(await rotateLog(path, { maxBytes: 100, maxFiles: 3 })).toBe(false);
    for (let i = 0; i < 4; i++) {
      await Bun.write(path, "x".repeat(200));
      expect(
        await rotateLog(
          path,
          { maxBytes: 100, maxFiles: 3 },
          new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        ),
      ).toBe(true);
    }
    const names = readdirSync(dir).sort();
    // The live file plus the two newest rotated ones.
    expect(names).toEqual(["0.log", "0.log.20260101T000002", "0.log.20260101T000003"]);
    expect(await Bun.file(path).text()).toBe("");
  });
});

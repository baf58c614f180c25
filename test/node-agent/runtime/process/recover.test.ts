import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerHandle } from "../../../../src/node-agent/runtime/runtime.ts";
import { containerDir, logTexts, newRuntime, request, scratch, waitFor } from "./helpers.ts";

const tmp = scratch("recover");
afterAll(() => tmp.remove());

function byName(handles: ContainerHandle[], name: string): ContainerHandle {
  const handle = handles.find((h) => h.containerName === name);
  if (!handle) throw new Error(`no recovered container ${name}`);
  return handle;
}

describe("process runtime: recover() after an agent crash", () => {
  test("in process: a dropped runtime's containers are adopted by a new one on the same state", async () => {
    const stateDir = join(tmp.dir, "state-drop");
    const logs = join(tmp.dir, "logs-drop");
    const shared = join(tmp.dir, "shared-drop");
    mkdirSync(shared, { recursive: true });
    const mounts = [{ hostPath: shared, containerPath: "/shared", readOnly: false }];
    const first = newRuntime(stateDir);
    const longReq = request(logs, {
      containerName: "long",
      argv: [
        "sh",
        "-c",
        "echo started; until [ -e /shared/go-long ] || [ $((i += 1)) -gt 3000 ]; do sleep 0.02; done; echo long-done; exit 42",
      ],
      mounts,
    });
    const quickReq = request(logs, {
      containerName: "quick",
      argv: [
        "sh",
        "-c",
        "until [ -e /shared/go-quick ] || [ $((i += 1)) -gt 3000 ]; do sleep 0.02; done; exit 3",
      ],
      mounts,
    });
    const long = await first.start(longReq);
    const quick = await first.start(quickReq);
    // "Crash": the first runtime is dropped without any cleanup; the quick
    // container then finishes while no runtime watches it.
    writeFileSync(join(shared, "go-quick"), "");
    await waitFor("the quick container's recorded exit", () =>
      existsSync(join(containerDir(stateDir, quick), "exit")),
    );

    const second = newRuntime(stateDir);
    const recovered = await second.recover();
    expect(recovered.map((h) => h.containerName).sort()).toEqual(["long", "quick"]);
    const quickAgain = byName(recovered, "quick");
    expect(quickAgain.containerId).toBe(quick.containerId);
    expect(await quickAgain.exited).toMatchObject({ exitCode: 3, reason: "Error" });

    const longAgain = byName(recovered, "long");
    expect(longAgain).toMatchObject({
      containerId: long.containerId,
      podUid: longReq.podUid,
      namespace: "default",
      podName: "test",
      attempt: 0,
    });
    expect(longAgain.startedAt.getTime()).toBe(long.startedAt.getTime());
    let settled = false;
    void longAgain.exited.then(() => {
      settled = true;
    });
    const usage = await longAgain.usage();
    expect(usage.memoryBytes).toBeGreaterThan(0);
    expect(settled).toBe(false);
    writeFileSync(join(shared, "go-long"), "");
    expect(await longAgain.exited).toMatchObject({ exitCode: 42, reason: "Error" });
    expect(logTexts(longReq.logPath)).toEqual(["started", "long-done"]);

    await second.remove(quickAgain);
    await second.remove(longAgain);
    expect(await newRuntime(stateDir).recover()).toEqual([]);
  });

  test("a SIGKILLed agent process: logging, stdin and exit capture survive it", async () => {
    const stateDir = join(tmp.dir, "state-kill");
    const logs = join(tmp.dir, "logs-kill");
    const shared = join(tmp.dir, "shared-kill");
    mkdirSync(shared, { recursive: true });
    const agent = Bun.spawn(
      [process.execPath, join(import.meta.dir, "agent-process.ts"), stateDir, logs, shared],
      { stdout: "pipe", stderr: "inherit" },
    );
    const reader = agent.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const started = JSON.parse(text) as {
      long: { containerId: string };
      quick: { containerId: string };
    };
    agent.kill("SIGKILL");
    expect(await agent.exited).toBe(137);

    writeFileSync(join(shared, "go-quick"), "");
    const quickDir = join(
      stateDir,
      "containers",
      started.quick.containerId.replace("process://", ""),
    );
    await waitFor("the quick container's recorded exit", () => existsSync(join(quickDir, "exit")));

    const runtime = newRuntime(stateDir);
    const recovered = await runtime.recover();
    const quick = byName(recovered, "quick");
    expect(quick.containerId).toBe(started.quick.containerId);
    expect(await quick.exited).toMatchObject({ exitCode: 3, reason: "Error" });

    const long = byName(recovered, "long");
    expect(long.containerId).toBe(started.long.containerId);
    const exec = await long.exec(["echo", "exec after recovery"], { stdin: false, tty: false });
    expect(await new Response(exec.stdout).text()).toBe("exec after recovery\n");
    expect(await exec.exited).toBe(0);
    // stdin is a FIFO the supervisor keeps open: the new agent writes to it.
    expect(long.stdin).not.toBeNull();
    const writer = long.stdin!.getWriter();
    await writer.write(new TextEncoder().encode("after the crash\n"));
    expect(await long.exited).toMatchObject({ exitCode: 42, reason: "Error" });
    const logPath = join(logs, (await findLog(logs, "long")) ?? "");
    expect(logTexts(logPath)).toEqual(["started", "got after the crash"]);
    await runtime.remove(quick);
    await runtime.remove(long);
  });
});

async function findLog(dir: string, prefix: string): Promise<string | undefined> {
  return (await readdir(dir)).find((name) => name.startsWith(`${prefix}-`));
}

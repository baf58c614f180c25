import { afterAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive } from "../../src/store/data-dir-lock.ts";
import { KubunProcess, runKubun } from "../support/kubun-process.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kubun-e2e-"));
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}

async function postmasterPid(dir: string): Promise<number> {
  return Number.parseInt(await readFile(join(dir, "postgres/postmaster.pid"), "utf8"), 10);
}

describe("kubun CLI", () => {
  test("help and version", async () => {
    const help = await runKubun(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("kubun server");
    const version = await runKubun(["version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^kubun \d+\.\d+\.\d+/m);
    expect(version.stdout).toMatch(/^kubernetes v1\.\d+\.\d+/m);
  });

  test("an unknown command or flag is an error that says what to do", async () => {
    const command = await runKubun(["serve"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("kubun help");
    const flag = await runKubun(["server", "--no-such-flag"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("no-such-flag");
    const controllers = await runKubun(["server", "--controllers", "*,-deploymnet"]);
    expect(controllers.code).toBe(1);
    expect(controllers.stderr).toContain('"deploymnet" is not a controller; known:');
    const threshold = await runKubun(["server", "--terminated-pod-gc-threshold", "many"]);
    expect(threshold.code).toBe(1);
    expect(threshold.stderr).toContain("--terminated-pod-gc-threshold must be a whole number");
  });
});

describe("kubun server on the embedded database", () => {
  test("starts, refuses a second server on its data directory, stops cleanly on SIGTERM", async () => {
    const dir = await dataDir();
    const server = new KubunProcess([
      "server",
      "--no-agent",
      "--data-dir",
      dir,
      "--port",
      "0",
      "--bind-address",
      "127.0.0.1",
    ]);
    await server.waitFor(/kubun server ready/);
    const postgres = await postmasterPid(dir);
    expect(isAlive(postgres)).toBe(true);

    const second = await runKubun(["server", "--no-agent", "--data-dir", dir, "--port", "0"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`in use by kubun process ${server.pid}`);

    server.kill("SIGTERM");
    expect(await server.exited()).toBe(0);
    expect(isAlive(postgres)).toBe(false);
  });

  test("after kill -9 it starts again on the same data directory", async () => {
    const dir = await dataDir();
    const first = new KubunProcess([
      "server",
      "--no-agent",
      "--data-dir",
      dir,
      "--port",
      "0",
      "--bind-address",
      "127.0.0.1",
    ]);
    await first.waitFor(/kubun server ready/);
    const orphan = await postmasterPid(dir);
    first.kill("SIGKILL");
    await first.exited();

    const second = new KubunProcess([
      "server",
      "--no-agent",
      "--data-dir",
      dir,
      "--port",
      "0",
      "--bind-address",
      "127.0.0.1",
    ]);
    await second.waitFor(/kubun server ready/);
    expect(isAlive(orphan)).toBe(false);
    second.kill("SIGINT");
    expect(await second.exited()).toBe(0);
  });
});

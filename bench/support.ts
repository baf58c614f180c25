// What the benchmarks share: a throwaway `kubun server` on the embedded
// database, hollow nodes joined to it, percentiles and the printed table.
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../src/client/api-client.ts";
import { loadKubeConfig } from "../src/client/kube-config.ts";

export const kubunMain = join(import.meta.dir, "../src/cli/main.ts");

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export interface BenchServer {
  client: ApiClient;
  dataDir: string;
  url: string;
  pid: number;
  /** Sends a signal to the server process (SIGKILL, SIGSTOP, SIGCONT, …). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited(): Promise<void>;
  /** Starts it again on the same data directory and port (after a kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `kubun server` on a fresh data directory and waits until it serves. */
export async function startBenchServer(name: string, args: string[] = []): Promise<BenchServer> {
  const dataDir = await mkdtemp(join(tmpdir(), `kubun-bench-${name}-`));
  // PostgreSQL runs as the postgres user and must reach its directory inside.
  await chmod(dataDir, 0o755);
  const launch = async (port: string) => {
    const child = spawn(
      "bun",
      [
        kubunMain,
        "server",
        "--data-dir",
        dataDir,
        "--port",
        port,
        "--bind-address",
        "127.0.0.1",
        "--advertise-address",
        "127.0.0.1",
        ...args,
      ],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, KUBUN_LOG: "warn" } },
    );
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", (chunk) => {
        out += chunk;
        const ready = /ready on (https:\/\/[^\s]+)/.exec(out);
        if (ready) resolve(ready[1] ?? "");
      });
      child.on("exit", (code) => reject(new Error(`kubun exited with ${code}`)));
    });
    return { child, url };
  };
  let { child, url } = await launch("0");
  const config = await loadKubeConfig(join(dataDir, "admin.kubeconfig"));
  const server: BenchServer = {
    client: new ApiClient({ ...config, server: url }),
    dataDir,
    url,
    get pid() {
      return child.pid ?? 0;
    },
    signal: (signal) => child.kill(signal),
    exited: () =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child.once("exit", () => resolve())),
    async restart() {
      ({ child } = await launch(new URL(url).port));
    },
    async stop() {
      const exited = server.exited();
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** The join arguments `kubun token create` prints (`--server … --token … --ca-cert-hash …`). */
export async function joinArgs(dataDir: string): Promise<string[]> {
  const printed = await new Promise<string>((resolve) => {
    const child = spawn("bun", [kubunMain, "token", "create", "--data-dir", dataDir]);
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("exit", () => resolve(out.trim()));
  });
  return printed.replace(/^kubun agent /, "").split(/\s+/);
}

export interface HollowFleetProcess {
  pid: number;
  /** The "ready: N hollow nodes …" line, or null if the process died first. */
  ready: string | null;
  stop(): Promise<void>;
}

/** Starts `kubun hollow` with `args` (count, prefix, …) and waits until its nodes are ready. */
export async function startBenchHollow(
  dataDir: string,
  args: string[],
  onProgress: (line: string) => void = () => {},
): Promise<HollowFleetProcess> {
  const child = spawn("bun", [kubunMain, "hollow", ...args, ...(await joinArgs(dataDir))], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, KUBUN_LOG: "warn" },
  });
  let out = "";
  const ready = await new Promise<string | null>((resolve) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const lines = out.split("\n");
      out = lines.pop() ?? "";
      for (const line of lines) {
        if (/^ready: .*hollow nodes/.test(line)) resolve(line);
        else onProgress(line);
      }
    });
    child.on("exit", () => resolve(null));
  });
  return {
    pid: child.pid ?? 0,
    ready,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Prints rows as an aligned table, then one JSON line for machines. */
export function report(rows: string[][], json: Record<string, unknown>): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}\n`);
  }
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

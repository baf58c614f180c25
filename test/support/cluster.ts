import { realpathSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { KubunProcess } from "./kubun-process.ts";
import { type TestDatabase, testDatabase } from "./postgres.ts";

/** The kubectl binaries: the dispatcher on PATH and the versioned ones beside its target. */
export const kubectlBinaries = (() => {
  const dispatcher = Bun.which("kubectl") ?? "kubectl";
  const dir = dirname(realpathSync(dispatcher));
  return { dispatcher, v127: join(dir, "kubectl.1.27"), v133: join(dir, "kubectl.1.33") };
})();

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running `kubun server` on its own test database, with an admin kubeconfig. */
export interface TestCluster {
  url: string;
  dataDir: string;
  kubeconfig: string;
  db: TestDatabase;
  server: KubunProcess;
  kubectl(
    args: string[],
    options?: { binary?: string; input?: string; env?: Record<string, string> },
  ): Promise<KubectlResult>;
  /** kubectl that must succeed: returns stdout, throws with stderr otherwise. */
  ok(
    args: string[],
    options?: { binary?: string; input?: string; env?: Record<string, string> },
  ): Promise<string>;
  /** Stops the server and starts it again on the same data and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Extra `kubun server` flags. */
  args?: string[];
  /** Run the server's own node agent (off by default: most tests need no node). */
  agent?: boolean;
}

export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const db = await testDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), "kubun-cluster-"));
  await chmod(dataDir, 0o755);
  const launch = async (port: string) => {
    const process = new KubunProcess([
      "server",
      "--data-dir",
      dataDir,
      "--datastore",
      db.url,
      "--port",
      port,
      "--bind-address",
      "127.0.0.1",
      "--advertise-address",
      "127.0.0.1",
      ...(options.agent ? [] : ["--no-agent"]),
      ...(options.args ?? []),
    ]);
    await process.waitFor(/ready on https:\/\/127\.0\.0\.1:\d+/);
    return process;
  };
  let server = await launch("0");
  const url = /ready on (https:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout)?.[1] ?? "";
  const kubeconfig = join(dataDir, "admin.kubeconfig");
  const kubectl = async (
    args: string[],
    options: { binary?: string; input?: string; env?: Record<string, string> } = {},
  ): Promise<KubectlResult> => {
    const child = Bun.spawn([options.binary ?? kubectlBinaries.v133, ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dataDir, ...options.env },
      stdin: options.input !== undefined ? new TextEncoder().encode(options.input) : "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    return { code, stdout, stderr };
  };
  return {
    url,
    dataDir,
    kubeconfig,
    db,
    get server() {
      return server;
    },
    kubectl,
    async restart() {
      server.kill("SIGTERM");
      await server.exited();
      server = await launch(new URL(url).port);
    },
    async ok(args, options) {
      const result = await kubectl(args, options);
      if (result.code !== 0) {
        throw new Error(
          `kubectl ${args.join(" ")} failed (${result.code}):\n${result.stderr}${result.stdout}`,
        );
      }
      return result.stdout;
    },
    async stop() {
      server.kill("SIGTERM");
      await server.exited();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

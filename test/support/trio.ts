/**
 * Several `kubun server`s on one PostgreSQL database (the HA setup), each with its
 * own data directory and port, all with the same server token.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../../src/client/api-client.ts";
import { loadKubeConfig } from "../../src/client/kube-config.ts";
import { KubunProcess } from "./kubun-process.ts";

export interface TrioServer {
  dataDir: string;
  process: KubunProcess;
  url: string;
  /** Starts it again on the same data directory and port (after a kill). */
  restart(): Promise<void>;
}

export interface Trio {
  servers: TrioServer[];
  /** An admin client for `server` (every server trusts the same CA). */
  client(server: TrioServer): Promise<ApiClient>;
  stop(): Promise<void>;
}

const READY = /ready on (https:\/\/127\.0\.0\.1:\d+)/;

export async function startTrio(
  databaseUrl: string,
  token: string,
  options: { count?: number; args?: string[] } = {},
): Promise<Trio> {
  const launch = (dataDir: string, port: string) =>
    new KubunProcess([
      "server",
      "--no-agent",
      "--datastore",
      databaseUrl,
      "--data-dir",
      dataDir,
      "--port",
      port,
      "--bind-address",
      "127.0.0.1",
      "--advertise-address",
      "127.0.0.1",
      "--token",
      token,
      ...(options.args ?? []),
    ]);
  const started: TrioServer[] = [];
  const results = await Promise.allSettled(
    Array.from({ length: options.count ?? 3 }, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), "kubun-trio-"));
      await chmod(dataDir, 0o755);
      const server: TrioServer = {
        dataDir,
        process: launch(dataDir, "0"),
        url: "",
        async restart() {
          server.process = launch(dataDir, new URL(server.url).port);
          await server.process.waitFor(READY);
        },
      };
      started.push(server);
      await server.process.waitFor(READY);
      server.url = READY.exec(server.process.stdout)?.[1] ?? "";
      return server;
    }),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) {
    // Leave nothing running behind a failed start.
    await stopAll(started);
    throw failed.reason;
  }
  const servers = results.map((r) => (r as PromiseFulfilledResult<TrioServer>).value);
  return {
    servers,
    async client(server) {
      const config = await loadKubeConfig(join(server.dataDir, "admin.kubeconfig"));
      // A frozen server (SIGSTOP) must not hang callers that could ask another.
      return new ApiClient({ ...config, server: server.url, requestTimeoutMs: 5000 });
    },
    stop: () => stopAll(servers),
  };
}

async function stopAll(servers: TrioServer[]): Promise<void> {
  for (const server of servers) {
    server.process.kill("SIGCONT");
    server.process.kill("SIGTERM");
    await server.process.exited();
    await rm(server.dataDir, { recursive: true, force: true });
  }
}

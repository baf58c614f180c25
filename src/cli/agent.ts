import { access } from "node:fs/promises";
import { homedir, hostname, userInfo } from "node:os";
import { join } from "node:path";
import { type LogLevel, logger, setLogLevel } from "../log/logger.ts";
import { type NodeAgent, startNodeAgent } from "../node-agent/agent.ts";
import { ImageCatalog } from "../node-agent/images/image-catalog.ts";
import { parseNodeLabels, parseTaints } from "../node-agent/node/node-flags.ts";
import { ProcessRuntime } from "../node-agent/runtime/process/process-runtime.ts";
import { nameIsDNSSubdomain } from "../resources/validation/name-validators.ts";
import { parseFlags } from "./args.ts";

export function defaultAgentDataDir(): string {
  return userInfo().uid === 0 ? "/var/lib/kubun-agent" : join(homedir(), ".kubun-agent");
}

export const agentFlags = {
  server: {
    type: "string",
    multiple: true,
    description:
      "API server URL (repeatable: tried in order, the next one when one stops answering)",
  },
  token: { type: "string", description: "bootstrap token for joining (kubun token create)" },
  "ca-cert-hash": {
    type: "string",
    multiple: true,
    description: "sha256:<hex> pin of the cluster CA's public key (repeatable)",
  },
  name: { type: "string", description: "node name (default: this machine's host name)" },
  "data-dir": {
    type: "string",
    description: "where the node keeps its credentials and pods",
    default: defaultAgentDataDir(),
  },
  "node-labels": { type: "string", description: "labels to register the node with: k=v,…" },
  "register-with-taints": {
    type: "string",
    description: "taints to register the node with: key=value:Effect,… (at creation only)",
  },
  "max-pods": { type: "string", description: "pods this node can run", default: "110" },
  "node-ip": {
    type: "string",
    description: "the node's InternalIP (default: first non-loopback IPv4)",
  },
  port: { type: "string", description: "HTTPS port of the node agent", default: "10250" },
  "image-catalog": { type: "string", description: "file mapping images to entrypoints" },
  "pod-manifest-path": {
    type: "string",
    description: "directory of static pod manifests (*.yaml, *.yml, *.json) to run on this node",
  },
  "log-level": { type: "string", description: "debug, info, warn or error", default: "info" },
} as const;

export type AgentFlags = ReturnType<typeof parseAgentFlags>;

function parseNumber(flag: string, value: string | undefined, min: number, max: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`--${flag} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return number;
}

export function parseAgentFlags(argv: string[]) {
  const flags = parseFlags(argv, agentFlags);
  const level = flags["log-level"] ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw new Error(`--log-level must be debug, info, warn or error, not "${level}"`);
  }
  const nodeName = flags.name ?? hostname().toLowerCase();
  const nameProblems = nameIsDNSSubdomain(nodeName, false);
  if (nameProblems.length > 0) {
    throw new Error(
      `node name "${nodeName}" is not valid (${nameProblems.join("; ")}): pass --name`,
    );
  }
  return {
    servers: flags.server,
    token: flags.token,
    caCertHashes: flags["ca-cert-hash"],
    nodeName,
    dataDir: flags["data-dir"] ?? defaultAgentDataDir(),
    nodeLabels: parseNodeLabels(flags["node-labels"] ?? ""),
    taints: parseTaints(flags["register-with-taints"] ?? ""),
    maxPods: parseNumber("max-pods", flags["max-pods"], 1, 10_000),
    nodeIp: flags["node-ip"],
    port: parseNumber("port", flags.port, 1, 65535),
    imageCatalog: flags["image-catalog"],
    podManifestPath: flags["pod-manifest-path"],
    logLevel: level as LogLevel,
  };
}

async function readable(flag: string, path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(`--${flag}: cannot read ${path}`);
  }
}

/**
 * `kubun agent`: join (or reuse the kept credentials), register the Node, keep
 * its status and Lease current, run the pods bound to it with the process
 * runtime, and serve logs, exec, attach and port-forward.
 */
export async function runAgent(argv: string[]): Promise<number> {
  const flags = parseAgentFlags(argv);
  setLogLevel(flags.logLevel);
  if (flags.imageCatalog) await readable("image-catalog", flags.imageCatalog);
  const log = logger("agent");
  const stopped = Promise.withResolvers<string>();
  process.once("SIGINT", () => stopped.resolve("SIGINT"));
  process.once("SIGTERM", () => stopped.resolve("SIGTERM"));
  const say = (message: string) => process.stdout.write(`${message}\n`);
  say(flags.servers.length > 0 ? `joining… (${flags.servers.join(", ")})` : "joining…");
  let agent: NodeAgent;
  try {
    agent = await startNodeAgent({
      nodeName: flags.nodeName,
      dataDir: flags.dataDir,
      servers: flags.servers,
      ...(flags.token ? { token: flags.token } : {}),
      caCertHashes: flags.caCertHashes,
      nodeLabels: flags.nodeLabels,
      taints: flags.taints,
      maxPods: flags.maxPods,
      ...(flags.nodeIp ? { nodeIp: flags.nodeIp } : {}),
      port: flags.port,
      runtime: new ProcessRuntime({
        stateDir: join(flags.dataDir, "runtime"),
        log: log.child("runtime"),
      }),
      ...(flags.imageCatalog ? { imageCatalog: await ImageCatalog.load(flags.imageCatalog) } : {}),
      ...(flags.podManifestPath ? { podManifestPath: flags.podManifestPath } : {}),
      onProgress: say,
      log,
    });
  } catch (error) {
    throw new Error(`node ${flags.nodeName} could not start: ${(error as Error).message}`);
  }
  say(`ready: node ${agent.core.nodeName} (API server ${agent.core.credentials.serverUrl()})`);
  const signal = await stopped.promise;
  log.info("shutting down", { signal });
  await agent.stop();
  return 0;
}

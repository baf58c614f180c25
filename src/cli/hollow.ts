import { type LogLevel, logger, setLogLevel } from "../log/logger.ts";
import { HollowFleet } from "../node-agent/hollow/hollow-fleet.ts";
import { parseNodeLabels } from "../node-agent/node/node-flags.ts";
import { parseFlags } from "./args.ts";

export const hollowFlags = {
  count: { type: "string", description: "number of hollow nodes" },
  server: { type: "string", multiple: true, description: "API server URL (repeatable)" },
  token: { type: "string", description: "bootstrap token (kubun token create)" },
  "ca-cert-hash": {
    type: "string",
    multiple: true,
    description: "sha256:<hex> pin of the cluster CA's public key (repeatable)",
  },
  "name-prefix": { type: "string", description: "node name prefix", default: "hollow-" },
  "first-index": { type: "string", description: "index of the first node", default: "0" },
  "node-labels": { type: "string", description: "extra labels for every node: k=v,…" },
  "max-pods": { type: "string", description: "pods each node can run", default: "110" },
  "csr-concurrency": {
    type: "string",
    description: "certificate requests in flight at once",
    default: "20",
  },
  "log-level": { type: "string", description: "debug, info, warn or error", default: "warn" },
} as const;

function whole(flag: string, value: string | undefined, min: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new Error(`--${flag} must be a whole number of at least ${min}, not "${value}"`);
  }
  return number;
}

const MiB = 1024 * 1024;

function rss(): number {
  Bun.gc(true);
  return process.memoryUsage().rss;
}

/** `kubun hollow`: N simulated nodes in this process until SIGINT/SIGTERM. */
export async function runHollow(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, hollowFlags);
  const level = flags["log-level"] ?? "warn";
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw new Error(`--log-level must be debug, info, warn or error, not "${level}"`);
  }
  setLogLevel(level as LogLevel);
  if (flags.count === undefined) throw new Error("--count is required");
  if (flags.server.length === 0) throw new Error("--server is required");
  if (!flags.token) throw new Error("--token is required (kubun token create on a server)");
  const count = whole("count", flags.count, 1);
  const stopped = Promise.withResolvers<string>();
  process.once("SIGINT", () => stopped.resolve("SIGINT"));
  process.once("SIGTERM", () => stopped.resolve("SIGTERM"));
  const say = (message: string) => process.stdout.write(`${message}\n`);
  const baseline = rss();
  const started = performance.now();
  const fleet = await HollowFleet.start({
    count,
    servers: flags.server,
    token: flags.token,
    caCertHashes: flags["ca-cert-hash"],
    namePrefix: flags["name-prefix"] ?? "hollow-",
    firstIndex: whole("first-index", flags["first-index"], 0),
    maxPods: whole("max-pods", flags["max-pods"], 1),
    labels: parseNodeLabels(flags["node-labels"] ?? ""),
    csrConcurrency: whole("csr-concurrency", flags["csr-concurrency"], 1),
    log: logger("hollow"),
    onProgress: say,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const used = rss();
  say(
    `ready: ${count} hollow nodes in ${seconds}s; rss ${(used / MiB).toFixed(0)} MiB ` +
      `(${(baseline / MiB).toFixed(0)} MiB before the nodes, ` +
      `${((used - baseline) / count / 1024).toFixed(0)} KiB per node)`,
  );
  const memoryReport = setInterval(() => {
    const now = rss();
    say(
      `memory: rss ${(now / MiB).toFixed(0)} MiB, ${((now - baseline) / count / 1024).toFixed(0)} KiB per node`,
    );
  }, 60_000);
  const signal = await stopped.promise;
  clearInterval(memoryReport);
  say(`stopping ${count} hollow nodes (${signal})`);
  await fleet.stop();
  return 0;
}

import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { type LogLevel, logger, setLogLevel } from "../log/logger.ts";
import { Datastore } from "../store/datastore.ts";
import { parseFlags } from "./args.ts";

function defaultDataDir(): string {
  return userInfo().uid === 0 ? "/var/lib/kubun" : join(homedir(), ".kubun");
}

export const serverFlags = {
  "data-dir": { type: "string", description: "data directory", default: defaultDataDir() },
  datastore: {
    type: "string",
    description:
      "external PostgreSQL URL (postgres://…); default: embedded PostgreSQL in the data directory",
  },
  "log-level": { type: "string", description: "debug, info, warn or error", default: "info" },
} as const;

export async function runServer(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, serverFlags);
  const level = flags["log-level"] ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw new Error(`--log-level must be debug, info, warn or error, not "${level}"`);
  }
  setLogLevel(level as LogLevel);
  const log = logger("server");
  const dataDir = flags["data-dir"] ?? defaultDataDir();
  log.info("starting", { dataDir });
  const datastore = await Datastore.open({ dataDir, url: flags.datastore, log });
  const revision = await datastore.store.currentRevision();
  log.info("datastore ready", { datastore: datastore.description, revision });
  process.stdout.write(
    `kubun server ready (data: ${dataDir}, datastore: ${datastore.description})\n`,
  );

  const stopped = Promise.withResolvers<string>();
  process.once("SIGINT", () => stopped.resolve("SIGINT"));
  process.once("SIGTERM", () => stopped.resolve("SIGTERM"));
  const signal = await stopped.promise;
  log.info("shutting down", { signal });
  await datastore.close();
  log.info("stopped");
  return 0;
}

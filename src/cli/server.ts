import { homedir, networkInterfaces, userInfo } from "node:os";
import { join } from "node:path";
import { documentProvider } from "../api/server/documents.ts";
import { KubeApi } from "../api/server/kube-api.ts";
import { tablePrinter } from "../api/server/table.ts";
import { type LogLevel, logger, setLogLevel } from "../log/logger.ts";
import { builtinKinds } from "../resources/kind-registry.ts";
import { Datastore } from "../store/datastore.ts";
import { writeAdminKubeconfig } from "../tls/admin-kubeconfig.ts";
import { loadOrCreatePki } from "../tls/pki-files.ts";
import { parseFlags } from "./args.ts";

function defaultDataDir(): string {
  return userInfo().uid === 0 ? "/var/lib/kubun" : join(homedir(), ".kubun");
}

/** The first non-internal IPv4 address, for the `kubernetes` Service's endpoints. */
function defaultAdvertiseAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return "127.0.0.1";
}

export const serverFlags = {
  "data-dir": { type: "string", description: "data directory", default: defaultDataDir() },
  datastore: {
    type: "string",
    description:
      "external PostgreSQL URL (postgres://…); default: embedded PostgreSQL in the data directory",
  },
  port: { type: "string", description: "HTTPS port of the API", default: "6443" },
  "bind-address": { type: "string", description: "address to listen on", default: "0.0.0.0" },
  "advertise-address": {
    type: "string",
    description: "address other components reach this server at (default: first non-loopback IPv4)",
  },
  "tls-san": {
    type: "string",
    multiple: true,
    description: "extra DNS name or IP for the serving certificate (repeatable)",
  },
  "service-cidr": {
    type: "string",
    description: "Service cluster IP range",
    default: "10.43.0.0/16",
  },
  "service-node-port-range": {
    type: "string",
    description: "NodePort range",
    default: "30000-32767",
  },
  "log-level": { type: "string", description: "debug, info, warn or error", default: "info" },
} as const;

function parsePortRange(value: string): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(value);
  const low = Number(match?.[1]);
  const high = Number(match?.[2]);
  if (!match || low < 1 || high > 65535 || low > high) {
    throw new Error(`--service-node-port-range must look like 30000-32767, not "${value}"`);
  }
  return [low, high];
}

export async function runServer(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, serverFlags);
  const level = flags["log-level"] ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw new Error(`--log-level must be debug, info, warn or error, not "${level}"`);
  }
  setLogLevel(level as LogLevel);
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, not "${flags.port}"`);
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(flags["service-cidr"] ?? "")) {
    throw new Error(
      `--service-cidr must be an IPv4 CIDR such as 10.43.0.0/16, not "${flags["service-cidr"]}"`,
    );
  }
  const nodePorts = parsePortRange(flags["service-node-port-range"] ?? "");
  const log = logger("server");
  // Listen for signals from the start: one that arrives while starting up (or just
  // after "ready" is printed) still gets an orderly shutdown.
  const stopped = Promise.withResolvers<string>();
  process.once("SIGINT", () => stopped.resolve("SIGINT"));
  process.once("SIGTERM", () => stopped.resolve("SIGTERM"));
  const dataDir = flags["data-dir"] ?? defaultDataDir();
  const advertise = flags["advertise-address"] ?? defaultAdvertiseAddress();
  log.info("starting", { dataDir });

  const datastore = await Datastore.open({ dataDir, url: flags.datastore, log });
  let api: KubeApi | null = null;
  try {
    const sans = flags["tls-san"];
    const pki = await loadOrCreatePki(join(dataDir, "tls"), {
      sans: {
        dnsNames: sans.filter((san) => !/^[\d.:]+$/.test(san)),
        ipAddresses: [advertise, ...sans.filter((san) => /^[\d.:]+$/.test(san))],
      },
    });
    if (pki.caCreated) log.info("created the cluster CA", { dir: join(dataDir, "tls") });
    const kinds = builtinKinds();
    api = new KubeApi({
      store: datastore.store,
      kinds,
      log: logger("api"),
      port,
      host: flags["bind-address"] ?? "0.0.0.0",
      advertiseAddress: advertise,
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, caPem: pki.ca.certPem },
      ranges: { serviceCidr: flags["service-cidr"] ?? "10.43.0.0/16", nodePorts },
      printTable: tablePrinter(),
      documents: documentProvider(kinds.kinds),
    });
    const bound = await api.start();
    const kubeconfig = join(dataDir, "admin.kubeconfig");
    await writeAdminKubeconfig({
      ca: pki.ca,
      server: `https://127.0.0.1:${bound}`,
      path: kubeconfig,
    });
    process.stdout.write(
      `kubun server ready on https://127.0.0.1:${bound} (datastore: ${datastore.description})\n` +
        `admin kubeconfig: ${kubeconfig}\n  export KUBECONFIG=${kubeconfig}; kubectl get namespaces\n`,
    );
  } catch (error) {
    await api?.stop();
    await datastore.close();
    throw error;
  }

  const signal = await stopped.promise;
  log.info("shutting down", { signal });
  await api.stop();
  await datastore.close();
  log.info("stopped");
  return 0;
}

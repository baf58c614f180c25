import { readFile } from "node:fs/promises";
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import { documentProvider } from "../api/server/documents.ts";
import { KubeApi } from "../api/server/kube-api.ts";
import { tablePrinter } from "../api/server/table.ts";
import { controllerSelection } from "../controllers/controller-selection.ts";
import { type LogLevel, logger, setLogLevel } from "../log/logger.ts";
import type { NodeAgent } from "../node-agent/agent.ts";
import { builtinKinds } from "../resources/kind-registry.ts";
import { loadSchedulerConfiguration } from "../scheduler/load-config.ts";
import { aesGcmTransformer } from "../store/aes-gcm-transformer.ts";
import { Datastore } from "../store/datastore.ts";
import { writeAdminKubeconfig } from "../tls/admin-kubeconfig.ts";
import {
  type BootstrapData,
  generateServerToken,
  loadOrCreateBootstrapData,
  newBootstrapData,
} from "../tls/bootstrap-data.ts";
import { CertificateAuthority } from "../tls/certificate-authority.ts";
import { loadOrCreatePki, readLocalCa, readOptional, writeAtomic } from "../tls/pki-files.ts";
import { defaultDataDir } from "./admin-client.ts";
import { parseFlags } from "./args.ts";
import { parseDurationSeconds } from "./durations.ts";
import { startLocalAgent } from "./local-agent.ts";

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
  token: {
    type: "string",
    description:
      "server token protecting the cluster's CA and keys in the datastore (default: <data-dir>/token, generated on first start)",
  },
  "token-auth-file": {
    type: "string",
    description: 'static bearer tokens, CSV: token,user,uid,"group1,group2"',
  },
  "audit-log": { type: "string", description: "append an audit log (JSON lines) to this file" },
  "cluster-signing-duration": {
    type: "string",
    description: "lifetime of certificates signed for CSRs (e.g. 8760h, 30m, 90s)",
    default: "8760h",
  },
  "no-agent": { type: "boolean", description: "do not run a node agent in this process" },
  "node-name": { type: "string", description: "name of this server's node (default: host name)" },
  "agent-port": {
    type: "string",
    description: "HTTPS port of this server's node agent",
    default: "10250",
  },
  "image-catalog": {
    type: "string",
    description: "file mapping images to entrypoints (node agent)",
  },
  "pod-manifest-path": {
    type: "string",
    description: "directory of static pod manifests to run on this server's node",
  },
  "scheduler-config": {
    type: "string",
    description:
      "KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1) for the scheduler",
  },
  "node-monitor-grace-period": {
    type: "string",
    description: "how long a node may go without a heartbeat before it is marked lost",
    default: "40s",
  },
  "node-monitor-period": {
    type: "string",
    description: "how often the node lifecycle controller checks node health",
    default: "5s",
  },
  "default-not-ready-toleration-seconds": {
    type: "string",
    description: "tolerationSeconds added to pods for the node.kubernetes.io/not-ready taint",
    default: "300",
  },
  "default-unreachable-toleration-seconds": {
    type: "string",
    description: "tolerationSeconds added to pods for the node.kubernetes.io/unreachable taint",
    default: "300",
  },
  controllers: {
    type: "string",
    description:
      "controllers to run, as kube-controller-manager's --controllers: * for all, name to enable, -name to disable",
    default: "*",
  },
  "terminated-pod-gc-threshold": {
    type: "string",
    description: "terminated pods kept before the oldest are deleted (0: keep all)",
    default: "12500",
  },
  "default-local-storage-path": {
    type: "string",
    description: "where the local-path provisioner makes volumes on each node",
    default: "/var/lib/kubun/storage",
  },
  "log-level": { type: "string", description: "debug, info, warn or error", default: "info" },
} as const;

/** Every address of this machine, for the serving certificate. */
function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .map((address) => address.address.replace(/%.*$/, ""));
}

/** The first address of the Service range: the `kubernetes` Service's IP. */
function firstServiceAddress(cidr: string): string {
  const [address = "0.0.0.0"] = cidr.split("/");
  const value = address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0) + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * The server token: the flag, else the one kept in the data directory, else a
 * new one (written there once the datastore accepted it).
 */
async function serverToken(dataDir: string, flag: string | undefined) {
  const file = join(dataDir, "token");
  const kept = (await readOptional(file))?.trim();
  const token = flag ?? kept ?? generateServerToken();
  return { token, file, keep: kept === undefined };
}

function parseWhole(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${flag} must be a whole number, not "${value}"`);
  return Number(value);
}

function parseSeconds(flag: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new Error(`--${flag} must be a number of seconds, not "${value}"`);
  return Number(value);
}

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
  const schedulerConfigFile = flags["scheduler-config"];
  const schedulerConfig =
    schedulerConfigFile === undefined
      ? undefined
      : loadSchedulerConfiguration(
          await readFile(schedulerConfigFile, "utf8").catch((error: Error) => {
            throw new Error(`--scheduler-config ${schedulerConfigFile}: ${error.message}`);
          }),
          schedulerConfigFile,
        );
  const log = logger("server");
  // Listen for signals from the start: one that arrives while starting up (or just
  // after "ready" is printed) still gets an orderly shutdown.
  const stopped = Promise.withResolvers<string>();
  process.once("SIGINT", () => stopped.resolve("SIGINT"));
  process.once("SIGTERM", () => stopped.resolve("SIGTERM"));
  const dataDir = flags["data-dir"] ?? defaultDataDir();
  const advertise = flags["advertise-address"] ?? defaultAdvertiseAddress();
  log.info("starting", { dataDir });

  const signingSeconds = parseDurationSeconds(
    "cluster-signing-duration",
    flags["cluster-signing-duration"] ?? "8760h",
  );
  const nodeMonitor = {
    gracePeriodSeconds: parseDurationSeconds(
      "node-monitor-grace-period",
      flags["node-monitor-grace-period"] ?? "40s",
    ),
    periodSeconds: parseDurationSeconds(
      "node-monitor-period",
      flags["node-monitor-period"] ?? "5s",
    ),
  };
  const defaultTolerationSeconds = {
    notReadySeconds: parseSeconds(
      "default-not-ready-toleration-seconds",
      flags["default-not-ready-toleration-seconds"] ?? "300",
    ),
    unreachableSeconds: parseSeconds(
      "default-unreachable-toleration-seconds",
      flags["default-unreachable-toleration-seconds"] ?? "300",
    ),
  };
  const controllers = {
    enabled: controllerSelection(flags.controllers ?? "*"),
    terminatedPodGcThreshold: Number(
      parseWhole("terminated-pod-gc-threshold", flags["terminated-pod-gc-threshold"] ?? "12500"),
    ),
    localStoragePath: flags["default-local-storage-path"] ?? "/var/lib/kubun/storage",
  };
  if (!controllers.localStoragePath.startsWith("/")) {
    throw new Error(
      `--default-local-storage-path must be an absolute path, not "${controllers.localStoragePath}"`,
    );
  }
  const serviceCidr = flags["service-cidr"] ?? "10.43.0.0/16";
  const tlsDir = join(dataDir, "tls");
  const token = await serverToken(dataDir, flags.token);
  let bootstrap: BootstrapData | undefined;
  const datastore = await Datastore.open({
    dataDir,
    url: flags.datastore,
    log,
    prepare: async (store) => {
      const loaded = await loadOrCreateBootstrapData(store, token.token, async () =>
        newBootstrapData(await readLocalCa(tlsDir)),
      );
      if (loaded.created) log.info("created the cluster's CA and keys in the datastore");
      bootstrap = loaded.data;
      return aesGcmTransformer(Buffer.from(loaded.data.encryptionKey, "base64"), [
        "/registry/core/secrets/",
      ]);
    },
  });
  let api: KubeApi | null = null;
  let agent: NodeAgent | null = null;
  let renewServingCertificate = async () => {};
  try {
    if (!bootstrap) throw new Error("the datastore opened without the cluster's bootstrap data");
    if (token.keep) await writeAtomic(token.file, `${token.token}\n`, 0o600);
    const sans = flags["tls-san"];
    const pkiOptions = {
      ca: await CertificateAuthority.fromPem(bootstrap.caCertPem, bootstrap.caKeyPem),
      sans: {
        dnsNames: sans.filter((san) => !/^[\d.:]+$/.test(san)),
        ipAddresses: [
          advertise,
          firstServiceAddress(serviceCidr),
          ...localAddresses(),
          ...sans.filter((san) => /^[\d.:]+$/.test(san)),
        ],
      },
    };
    const pki = await loadOrCreatePki(tlsDir, pkiOptions);
    if (pki.servingIssued)
      log.info("issued the serving certificate", { reason: pki.servingIssued });
    const kinds = builtinKinds();
    api = new KubeApi({
      store: datastore.store,
      kinds,
      log: logger("api"),
      port,
      host: flags["bind-address"] ?? "0.0.0.0",
      advertiseAddress: advertise,
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, caPem: pki.ca.certPem },
      ranges: { serviceCidr, nodePorts },
      ca: pki.ca,
      auth: {
        serviceAccountKeyPem: bootstrap.serviceAccountKeyPem,
        serviceAccountPublicPem: bootstrap.serviceAccountPublicPem,
        tokenAuthFile: flags["token-auth-file"],
        auditLog: flags["audit-log"],
        clusterSigningDurationSeconds: signingSeconds,
      },
      printTable: tablePrinter(),
      documents: documentProvider(kinds.kinds),
      schedulerConfig,
      nodeMonitor,
      controllers,
      defaultTolerationSeconds,
      leaderElection: {
        database: datastore.target,
        identity: hostname().toLowerCase(),
      },
    });
    const bound = await api.start();
    const running = api;
    renewServingCertificate = async () => {
      const renewed = await loadOrCreatePki(tlsDir, pkiOptions);
      if (!renewed.servingIssued) return;
      running.replaceServingCertificate(renewed.serving.certPem, renewed.serving.keyPem);
      log.info("renewed the serving certificate", { reason: renewed.servingIssued });
    };
    const kubeconfig = join(dataDir, "admin.kubeconfig");
    await writeAdminKubeconfig({
      ca: pki.ca,
      server: `https://127.0.0.1:${bound}`,
      path: kubeconfig,
    });
    if (!flags["no-agent"]) {
      try {
        agent = await startLocalAgent({
          ca: pki.ca,
          server: `https://127.0.0.1:${bound}`,
          adminKubeconfig: kubeconfig,
          dataDir: join(dataDir, "agent"),
          nodeName: flags["node-name"] ?? hostname().toLowerCase(),
          nodeIp: advertise,
          port: flags["agent-port"] ?? "10250",
          imageCatalog: flags["image-catalog"],
          podManifestPath: flags["pod-manifest-path"],
          log,
        });
      } catch (error) {
        // The API stays useful without a node (and other nodes may join).
        log.warn("the node agent did not start; pods will not run on this server", {
          error,
          hint: "run as root (containers need mount namespaces and cgroups), or pass --no-agent",
        });
      }
    }
    process.stdout.write(
      `kubun server ready on https://127.0.0.1:${bound} (datastore: ${datastore.description})\n` +
        `admin kubeconfig: ${kubeconfig}\n  export KUBECONFIG=${kubeconfig}; kubectl get namespaces\n`,
    );
  } catch (error) {
    // The agent starts last: nothing after it can fail.
    await api?.stop();
    await datastore.close();
    throw error;
  }

  // The serving certificate renews itself once under 30 days remain (checked twice a day).
  const renewal = setInterval(
    () =>
      void renewServingCertificate().catch((error) =>
        log.warn("serving certificate renewal failed; will retry", { error }),
      ),
    12 * 60 * 60 * 1000,
  );
  renewal.unref();
  const signal = await Promise.race([
    stopped.promise,
    api.fatal.catch((error: Error) => {
      log.error(error.message);
      return "fatal";
    }),
  ]);
  clearInterval(renewal);
  log.info("shutting down", { signal });
  await agent?.stop();
  await api.stop();
  await datastore.close();
  log.info("stopped");
  return signal === "fatal" ? 1 : 0;
}

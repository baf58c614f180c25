import { mkdir } from "node:fs/promises";
import type { Logger } from "../../log/logger.ts";
import { NodeCredentials } from "./credentials.ts";
import { HostFacts } from "./host-facts.ts";
import { NODE_LEASE_RENEW_MS, NodeLease } from "./lease.ts";
import { type NodeAddress, nodeAddresses, nodeIp } from "./node-address.ts";
import type { NodeClient } from "./node-client.ts";
import { type Readiness, runtimeLimitationsCondition } from "./node-conditions.ts";
import type { NodeFactsSource } from "./node-facts.ts";
import type { Taint } from "./node-flags.ts";
import { NodeStatusReporter } from "./node-status.ts";
import {
  csrServingIssuer,
  type KeyPair,
  ServingCertificate,
  type ServingIssuer,
} from "./serving-certificate.ts";

/** What the Node reports about its container runtime. */
export interface RuntimeDescription {
  name: string;
  version: string;
  /** What the runtime cannot do here; reported as the kubun.io/RuntimeLimitations condition. */
  limitations: readonly string[];
}

export interface AgentCoreOptions {
  nodeName: string;
  dataDir: string;
  servers: readonly string[];
  token?: string;
  caCertHashes?: readonly string[];
  /** Ready-made credentials (e.g. NodeCredentials.fromCertificateAuthority inside `kubun server`). */
  credentials?: NodeCredentials;
  /** How the serving certificate is obtained; default a kubelet-serving CSR. */
  servingIssuer?: ServingIssuer;
  nodeLabels?: Readonly<Record<string, string>>;
  taints?: readonly Taint[];
  maxPods?: number;
  nodeIp?: string;
  /** The agent's HTTPS port, as the Node advertises it. */
  port: number;
  runtime?: RuntimeDescription;
  /** Where capacity and pressure come from; default this machine. */
  facts?: NodeFactsSource;
  readiness?: () => Readiness;
  onProgress?: (message: string) => void;
  log?: Logger;
}

/** A running node identity; the pod side is started by the caller on top of it. */
export interface AgentCore {
  client: NodeClient;
  nodeName: string;
  credentials: NodeCredentials;
  status: NodeStatusReporter;
  lease: NodeLease;
  addresses: readonly NodeAddress[];
  serving: ServingCertificate;
  /** The first serving certificate (requested in the background once the Node exists). */
  servingReady: Promise<KeyPair>;
  stop(): Promise<void>;
}

/**
 * The node agent without pods: credentials (join or reuse, rotation), the
 * Node and its status, the Lease heartbeat, and the serving certificate.
 * Resolves once the Node is registered and its Lease written.
 */
export async function startAgentCore(options: AgentCoreOptions): Promise<AgentCore> {
  const { nodeName, log } = options;
  const report = options.onProgress ?? (() => {});
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const credentials =
    options.credentials ??
    (await NodeCredentials.start({
      servers: options.servers,
      nodeName,
      dataDir: options.dataDir,
      ...(options.token ? { token: options.token } : {}),
      ...(options.caCertHashes ? { caCertHashes: options.caCertHashes } : {}),
      onProgress: report,
      ...(log ? { log } : {}),
    }));
  if (credentials.origin === "joined") report(`joined the cluster as system:node:${nodeName}`);
  else report(`using the node credentials kept in ${options.dataDir}`);
  const client = credentials.client;
  const hostname = nodeName;
  const ip = nodeIp(options.nodeIp);
  const addresses = nodeAddresses(ip, hostname);
  const runtime = options.runtime;
  const status = new NodeStatusReporter({
    client,
    description: {
      nodeName,
      hostname,
      addresses,
      labels: options.nodeLabels ?? {},
      taints: options.taints ?? [],
      port: options.port,
      maxPods: options.maxPods ?? 110,
      ...(runtime ? { runtime: { name: runtime.name, version: runtime.version } } : {}),
    },
    facts: options.facts ?? new HostFacts(options.dataDir),
    ...(runtime
      ? { extraConditions: () => [runtimeLimitationsCondition(runtime.limitations)] }
      : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(log ? { log: log.child("status") } : {}),
  });
  const lease = new NodeLease({
    client,
    nodeName,
    nodeUid: () => status.node?.metadata?.uid,
    firstDelayMs: NODE_LEASE_RENEW_MS,
    ...(log ? { log: log.child("lease") } : {}),
  });
  const serving = new ServingCertificate({
    nodeName,
    ipAddresses: [ip],
    dnsNames: [hostname],
    issuer: options.servingIssuer ?? csrServingIssuer(client, { onProgress: report }),
    dataDir: options.dataDir,
    ...(log ? { log: log.child("serving") } : {}),
  });
  const stop = async () => {
    await Promise.all([status.stop(), lease.stop(), serving.stop(), credentials.stop()]);
  };
  try {
    credentials.startRotation();
    await status.register();
    report(`node ${nodeName} registered`);
    await lease.renew();
    lease.start();
    status.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    client,
    nodeName,
    credentials,
    status,
    lease,
    addresses,
    serving,
    servingReady: firstServingCertificate(serving, log),
    stop,
  };
}

// Asked for only now: the approver compares its names with the registered Node's addresses.
async function firstServingCertificate(
  serving: ServingCertificate,
  log?: Logger,
): Promise<KeyPair> {
  try {
    return await serving.obtain();
  } catch (error) {
    log?.warn("obtaining the serving certificate failed; retrying", { error });
    return new Promise<KeyPair>((resolve) => {
      const off = serving.onRotated((pair) => {
        off();
        resolve(pair);
      });
    });
  } finally {
    serving.startRotation();
  }
}

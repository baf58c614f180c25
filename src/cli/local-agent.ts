import { join } from "node:path";
import { ApiClient } from "../client/api-client.ts";
import { loadKubeConfig } from "../client/kube-config.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import { type NodeAgent, startNodeAgent } from "../node-agent/agent.ts";
import { ImageCatalog } from "../node-agent/images/image-catalog.ts";
import { NodeCredentials } from "../node-agent/node/credentials.ts";
import { caServingIssuer } from "../node-agent/node/serving-certificate.ts";
import { ProcessRuntime } from "../node-agent/runtime/process/process-runtime.ts";
import type { CertificateAuthority } from "../tls/certificate-authority.ts";

export interface LocalAgentOptions {
  ca: CertificateAuthority;
  server: string;
  adminKubeconfig: string;
  dataDir: string;
  nodeName: string;
  nodeIp: string;
  port: string;
  imageCatalog: string | undefined;
  podManifestPath?: string | undefined;
  log: Logger;
}

/**
 * The node agent `kubun server` runs beside the API server, so one command is
 * a working single-node cluster: its credentials come straight from the CA
 * (no token round trip), and the server labels its node as the control plane
 * (a node may not give itself node-role labels).
 */
export async function startLocalAgent(options: LocalAgentOptions): Promise<NodeAgent> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--agent-port must be a port number, not "${options.port}"`);
  }
  const log = options.log.child("agent");
  const agent = await startNodeAgent({
    nodeName: options.nodeName,
    dataDir: options.dataDir,
    servers: [options.server],
    credentials: await NodeCredentials.fromCertificateAuthority({
      ca: options.ca,
      servers: [options.server],
      nodeName: options.nodeName,
      dataDir: options.dataDir,
    }),
    servingIssuer: caServingIssuer(options.ca),
    nodeIp: options.nodeIp,
    port,
    runtime: new ProcessRuntime({
      stateDir: join(options.dataDir, "runtime"),
      log: log.child("runtime"),
    }),
    ...(options.imageCatalog
      ? { imageCatalog: await ImageCatalog.load(options.imageCatalog) }
      : {}),
    ...(options.podManifestPath ? { podManifestPath: options.podManifestPath } : {}),
    log,
  });
  const admin = new ApiClient(await loadKubeConfig(options.adminKubeconfig));
  await admin.patch(
    resourcePath({ version: "v1", resource: "nodes", name: options.nodeName }),
    { metadata: { labels: { "node-role.kubernetes.io/control-plane": "" } } },
    "merge",
  );
  return agent;
}

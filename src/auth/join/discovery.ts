import YAML from "yaml";
import { parseBootstrapToken } from "../tokens/bootstrap-token.ts";
import { caCertHashes, parseCaCertHash } from "../tokens/ca-cert-hash.ts";
import {
  CLUSTER_INFO_KUBECONFIG_KEY,
  CLUSTER_INFO_NAME,
  CLUSTER_INFO_NAMESPACE,
  JWS_SIGNATURE_KEY_PREFIX,
  verifyDetached,
} from "../tokens/cluster-info-jws.ts";

/** Bun's fetch with its `tls` extension, or a stand-in for it. */
export type FetchLike = (
  url: string,
  init: RequestInit & { tls?: { rejectUnauthorized?: boolean; ca?: string } },
) => Promise<Response>;

export interface DiscoverClusterOptions {
  /** The discovery endpoint, e.g. "https://10.0.0.1:6443". */
  server: string;
  /** The bootstrap token "<id>.<secret>". */
  token: string;
  /** Accepted CA pins ("sha256:<hex>"); at least one unless `unsafeSkipCaVerification`. */
  caCertHashes: readonly string[];
  /** Trust whatever CA the signed cluster-info names (kubeadm's --discovery-token-unsafe-skip-ca-verification). */
  unsafeSkipCaVerification?: boolean;
  fetchImpl?: FetchLike;
  /** Keep retrying transient failures (unreachable, not yet signed) this long; 0 (default): one attempt. */
  timeoutMs?: number;
  retryIntervalMs?: number;
}

export interface DiscoveredCluster {
  /** The cluster CA, PEM, from the signed cluster-info kubeconfig. */
  caPem: string;
  /** The API server URL cluster-info names (the discovery endpoint when it names none). */
  server: string;
}

/** A failure that retrying cannot fix (bad signature, CA not pinned). */
class PermanentError extends Error {}

/**
 * kubeadm's token discovery: fetch cluster-info without trusting the server
 * (its CA is what we are after), accept it only if the token signed it (the
 * server knows the token) and its CA matches a pin (we know the CA), then
 * fetch it again over TLS verified with that CA and require the same content.
 */
export async function discoverCluster(options: DiscoverClusterOptions): Promise<DiscoveredCluster> {
  const token = parseBootstrapToken(options.token);
  if (token === null) {
    throw new Error('the bootstrap token must have the form "[a-z0-9]{6}.[a-z0-9]{16}"');
  }
  const pins = options.caCertHashes.map(parseCaCertHash);
  if (pins.length === 0 && !options.unsafeSkipCaVerification) {
    throw new Error(
      "no CA certificate hash given: pass --ca-cert-hash sha256:<hex> (shown when the token was created) to verify the cluster CA",
    );
  }
  const fetchImpl = options.fetchImpl ?? (fetch as FetchLike);
  const server = options.server.replace(/\/+$/, "");
  return retrying(options, async () => {
    const insecure = await fetchClusterInfo(fetchImpl, server, { rejectUnauthorized: false });
    const kubeconfig = await verifiedKubeconfig(insecure, token.id, token.secret);
    const cluster = clusterOf(kubeconfig);
    if (!options.unsafeSkipCaVerification) checkPins(cluster.caPem, pins);
    const secure = await fetchClusterInfo(fetchImpl, server, { ca: cluster.caPem });
    if (secure[CLUSTER_INFO_KUBECONFIG_KEY] !== kubeconfig) {
      throw new PermanentError(
        "the second cluster-info ConfigMap (fetched with TLS verified by the discovered CA) was different from the first",
      );
    }
    return { caPem: cluster.caPem, server: cluster.server ?? server };
  });
}

async function fetchClusterInfo(
  fetchImpl: FetchLike,
  server: string,
  tls: { rejectUnauthorized?: boolean; ca?: string },
): Promise<Record<string, unknown>> {
  const url = `${server}/api/v1/namespaces/${CLUSTER_INFO_NAMESPACE}/configmaps/${CLUSTER_INFO_NAME}`;
  const response = await fetchImpl(url, { headers: { accept: "application/json" }, tls });
  const body = await response.text();
  if (!response.ok) {
    throw new Error(
      `failed to request the cluster-info ConfigMap: HTTP ${response.status}: ${body}`,
    );
  }
  const configMap = JSON.parse(body) as { data?: unknown };
  const data = configMap.data;
  return typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
}

async function verifiedKubeconfig(
  data: Record<string, unknown>,
  tokenId: string,
  tokenSecret: string,
): Promise<string> {
  const kubeconfig = data[CLUSTER_INFO_KUBECONFIG_KEY];
  if (typeof kubeconfig !== "string" || kubeconfig === "") {
    throw new Error(
      `there is no ${CLUSTER_INFO_KUBECONFIG_KEY} key in the cluster-info ConfigMap: this API server is not set up for token bootstrapping`,
    );
  }
  const jws = data[JWS_SIGNATURE_KEY_PREFIX + tokenId];
  if (typeof jws !== "string" || jws === "") {
    // Also what a just-created token looks like until the signer has run: retried.
    throw new Error(
      `there is no JWS signed token in the cluster-info ConfigMap for token ID "${tokenId}": the token is invalid for this cluster or has expired; create a new one on the control plane`,
    );
  }
  if (!(await verifyDetached(jws, kubeconfig, tokenId, tokenSecret))) {
    throw new PermanentError(
      "failed to verify JWS signature of received cluster info object, can't trust this API server",
    );
  }
  return kubeconfig;
}

interface KubeconfigDocument {
  "current-context"?: string;
  contexts?: { name?: string; context?: { cluster?: string } }[];
  clusters?: { name?: string; cluster?: Record<string, unknown> }[];
}

// The current context's cluster, else the first one (cluster-info holds one unnamed cluster).
function clusterOf(kubeconfig: string): { caPem: string; server?: string } {
  const document = YAML.parse(kubeconfig) as KubeconfigDocument | null;
  const contextName = document?.["current-context"];
  const clusterName = document?.contexts?.find((c) => c.name === contextName)?.context?.cluster;
  const clusters = document?.clusters ?? [];
  const entry = clusters.find((c) => c.name === clusterName) ?? clusters[0];
  const caData = entry?.cluster?.["certificate-authority-data"];
  if (typeof caData !== "string" || caData === "") {
    throw new PermanentError("the cluster-info kubeconfig has no certificate-authority-data");
  }
  const caPem = Buffer.from(caData, "base64").toString("utf8");
  const server = entry?.cluster?.server;
  return typeof server === "string" && server !== ""
    ? { caPem, server: server.replace(/\/+$/, "") }
    : { caPem };
}

function checkPins(caPem: string, pins: readonly string[]): void {
  let actual: string[];
  try {
    actual = caCertHashes(caPem);
  } catch (error) {
    throw new PermanentError(
      `the cluster-info CA is not a valid certificate: ${(error as Error).message}`,
    );
  }
  if (actual.length === 0) throw new PermanentError("the cluster-info CA holds no certificate");
  if (actual.some((hash) => pins.includes(hash))) return;
  throw new PermanentError(
    `the cluster CA found in the cluster-info ConfigMap has public key hash ${actual.join(", ")}, which none of the given hashes pin; check the --ca-cert-hash value`,
  );
}

async function retrying<T>(
  options: { timeoutMs?: number; retryIntervalMs?: number },
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 0);
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const wait = options.retryIntervalMs ?? 2000;
      if (error instanceof PermanentError || Date.now() + wait > deadline) throw error;
      await Bun.sleep(wait);
    }
  }
}

import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";

/** What a client needs to reach one API server: its URL and the credentials for it. */
export interface ClientConfig {
  /** Base URL of the API server, without a trailing slash. */
  server: string;
  /** PEM of the CA that signed the server's certificate; undefined means the system roots. */
  ca?: string;
  /** PEM client certificate and key for mutual TLS. */
  cert?: string;
  key?: string;
  /** Bearer token (service account, bootstrap or static token). */
  token?: string;
  /** Accept any server certificate (kubeconfig `insecure-skip-tls-verify`). */
  insecureSkipTlsVerify?: boolean;
  /**
   * Give up on a request (or on a watch's response headers) after this long, with a
   * TimeoutError: a server that accepts connections but never answers (a frozen
   * process) must not hold a client that could go to another. None by default.
   */
  requestTimeoutMs?: number;
}

interface KubeConfigFile {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: Record<string, string | boolean | undefined> }[];
  users?: { name: string; user: Record<string, string | undefined> }[];
}

/** Reads a kubeconfig file and resolves one context (the current one unless named). */
export async function loadKubeConfig(path: string, context?: string): Promise<ClientConfig> {
  return parseKubeConfig(await readFile(path, "utf8"), context);
}

/**
 * Resolves a context of a kubeconfig document. Only inline credentials
 * (`*-data`, `token`) are read: file references would tie library code to a
 * file system, so they are refused by name rather than silently ignored.
 */
export function parseKubeConfig(text: string, contextName?: string): ClientConfig {
  const file = parseYaml(text) as KubeConfigFile;
  const name = contextName ?? file["current-context"];
  const context = file.contexts?.find((c) => c.name === name)?.context;
  if (!context) throw new Error(`kubeconfig: context "${name ?? ""}" not found`);
  const cluster = file.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new Error(`kubeconfig: cluster "${context.cluster}" not found`);
  const user = file.users?.find((u) => u.name === context.user)?.user ?? {};
  for (const field of ["certificate-authority", "client-certificate", "client-key", "tokenFile"]) {
    if (cluster[field] !== undefined || user[field] !== undefined) {
      throw new Error(
        `kubeconfig: "${field}" (a file reference) is not supported; inline the data`,
      );
    }
  }
  const server = String(cluster.server ?? "").replace(/\/+$/, "");
  if (!server) throw new Error(`kubeconfig: cluster "${context.cluster}" has no server`);
  const config: ClientConfig = { server };
  const ca = cluster["certificate-authority-data"];
  if (typeof ca === "string") config.ca = decodeBase64(ca);
  if (cluster["insecure-skip-tls-verify"] === true) config.insecureSkipTlsVerify = true;
  if (user["client-certificate-data"]) config.cert = decodeBase64(user["client-certificate-data"]);
  if (user["client-key-data"]) config.key = decodeBase64(user["client-key-data"]);
  if (user.token) config.token = user.token;
  return config;
}

function decodeBase64(value: string): string {
  const bytes = Uint8Array.from(atob(value.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export interface KubeconfigOptions {
  /** API server URL, e.g. "https://127.0.0.1:6443". */
  server: string;
  /**
   * More servers of the same cluster (an HA trio): each gets a cluster entry
   * "<clusterName>-2", … and a context of its own; the first stays current.
   */
  moreServers?: string[];
  /** The cluster CA certificate, PEM. */
  caPem: string;
  clusterName?: string;
  userName: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** Defaults to "<userName>@<clusterName>", kubeadm's convention. */
  contextName?: string;
  namespace?: string;
}

/**
 * The YAML text of a client-go kubeconfig (apiVersion v1, kind Config) with
 * one user and a cluster and context per server, credentials embedded as base64 PEM.
 *
 * Written by hand: the shape is fixed and every value is either base64 or a
 * string emitted JSON-quoted (JSON strings are valid YAML double-quoted
 * scalars), so names such as "system:node:a" need no further escaping.
 * The result holds a private key: write it with owner-only permissions.
 */
export function buildKubeconfig(options: KubeconfigOptions): string {
  const clusterName = options.clusterName ?? "kubun";
  const contextName = options.contextName ?? `${options.userName}@${clusterName}`;
  for (const [field, value] of Object.entries({
    clusterName,
    contextName,
    userName: options.userName,
  })) {
    if (value === "") throw new Error(`${field} must not be empty`);
  }
  const q = JSON.stringify;
  const ca = pemData(options.caPem, "caPem");
  const entries = [options.server, ...(options.moreServers ?? [])].map((server, i) => {
    const url = new URL(server);
    if (url.protocol !== "https:") throw new Error(`server must be an https URL, got ${server}`);
    const cluster = i === 0 ? clusterName : `${clusterName}-${i + 1}`;
    const context = i === 0 ? contextName : `${options.userName}@${cluster}`;
    return { server, cluster, context };
  });
  const lines = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    ...entries.flatMap((e) => [
      "- cluster:",
      `    certificate-authority-data: ${ca}`,
      `    server: ${q(e.server)}`,
      `  name: ${q(e.cluster)}`,
    ]),
    "contexts:",
    ...entries.flatMap((e) => [
      "- context:",
      `    cluster: ${q(e.cluster)}`,
      ...(options.namespace === undefined ? [] : [`    namespace: ${q(options.namespace)}`]),
      `    user: ${q(options.userName)}`,
      `  name: ${q(e.context)}`,
    ]),
    `current-context: ${q(contextName)}`,
    "preferences: {}",
    "users:",
    `- name: ${q(options.userName)}`,
    "  user:",
    `    client-certificate-data: ${pemData(options.clientCertPem, "clientCertPem")}`,
    `    client-key-data: ${pemData(options.clientKeyPem, "clientKeyPem")}`,
  ];
  return `${lines.join("\n")}\n`;
}

// The *-data fields hold the PEM file's bytes, base64-encoded.
function pemData(pem: string, field: string): string {
  if (!pem.includes("-----BEGIN ")) throw new Error(`${field} is not PEM`);
  return btoa(pem);
}

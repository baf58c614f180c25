export interface KubeconfigOptions {
  /** API server URL, e.g. "https://127.0.0.1:6443". */
  server: string;
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
 * one cluster, one user and one context, credentials embedded as base64 PEM.
 *
 * Written by hand: the shape is fixed and every value is either base64 or a
 * string emitted JSON-quoted (JSON strings are valid YAML double-quoted
 * scalars), so names such as "system:node:a" need no further escaping.
 * The result holds a private key: write it with owner-only permissions.
 */
export function buildKubeconfig(options: KubeconfigOptions): string {
  const clusterName = options.clusterName ?? "kubun";
  const contextName = options.contextName ?? `${options.userName}@${clusterName}`;
  const url = new URL(options.server);
  if (url.protocol !== "https:")
    throw new Error(`server must be an https URL, got ${options.server}`);
  for (const [field, value] of Object.entries({
    clusterName,
    contextName,
    userName: options.userName,
  })) {
    if (value === "") throw new Error(`${field} must not be empty`);
  }
  const q = JSON.stringify;
  const lines = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${pemData(options.caPem, "caPem")}`,
    `    server: ${q(options.server)}`,
    `  name: ${q(clusterName)}`,
    "contexts:",
    "- context:",
    `    cluster: ${q(clusterName)}`,
    ...(options.namespace === undefined ? [] : [`    namespace: ${q(options.namespace)}`]),
    `    user: ${q(options.userName)}`,
    `  name: ${q(contextName)}`,
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

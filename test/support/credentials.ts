import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { buildKubeconfig } from "../../src/tls/kubeconfig.ts";
import { readLocalCa } from "../../src/tls/pki-files.ts";
import type { TestCluster } from "./cluster.ts";

/** The cluster's CA, as the server keeps it in its data directory. */
export async function clusterCa(cluster: TestCluster): Promise<CertificateAuthority> {
  const ca = await readLocalCa(join(cluster.dataDir, "tls"));
  if (!ca) throw new Error("the test cluster has no CA in its data directory");
  return ca;
}

let counter = 0;

/** A kubeconfig that authenticates with a bearer token (and nothing else). */
export async function tokenKubeconfig(cluster: TestCluster, token: string): Promise<string> {
  const ca = await clusterCa(cluster);
  const path = join(cluster.dataDir, `token-${++counter}.kubeconfig`);
  const text = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: kubun",
    "  cluster:",
    `    server: ${cluster.url}`,
    `    certificate-authority-data: ${Buffer.from(ca.certPem).toString("base64")}`,
    "users:",
    "- name: bearer",
    "  user:",
    `    token: ${JSON.stringify(token)}`,
    "contexts:",
    "- name: kubun",
    "  context: {cluster: kubun, user: bearer}",
    "current-context: kubun",
    "",
  ].join("\n");
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

/** A kubeconfig with a client certificate signed by `ca` (the cluster's unless given). */
export async function certificateKubeconfig(
  cluster: TestCluster,
  user: string,
  groups: string[] = [],
  options: { ca?: CertificateAuthority; validityDays?: number } = {},
): Promise<{ path: string; certPem: string; keyPem: string }> {
  const clusterAuthority = await clusterCa(cluster);
  const signer = options.ca ?? clusterAuthority;
  const issued = await signer.issue({
    commonName: user,
    organizations: groups,
    usages: ["clientAuth"],
    validityDays: options.validityDays ?? 1,
  });
  const path = join(cluster.dataDir, `cert-${++counter}.kubeconfig`);
  await writeFile(
    path,
    buildKubeconfig({
      server: cluster.url,
      caPem: clusterAuthority.certPem,
      userName: user,
      clientCertPem: issued.certPem,
      clientKeyPem: issued.keyPem ?? "",
    }),
    { mode: 0o600 },
  );
  return { path, certPem: issued.certPem, keyPem: issued.keyPem ?? "" };
}

/** A fetch against the cluster, verifying its CA, with optional client TLS or headers. */
export async function clusterFetch(
  cluster: TestCluster,
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    cert?: string;
    key?: string;
  } = {},
): Promise<Response> {
  const ca = await clusterCa(cluster);
  return fetch(`${cluster.url}${path}`, {
    method: options.method ?? "GET",
    headers: options.headers ?? {},
    ...(options.body !== undefined ? { body: options.body } : {}),
    tls: {
      ca: ca.certPem,
      ...(options.cert ? { cert: options.cert, key: options.key } : {}),
    },
    // A fresh connection per request: identities are read per TLS connection.
    keepalive: false,
  } as RequestInit);
}

export { CertificateAuthority };

import { chmod, writeFile } from "node:fs/promises";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { buildKubeconfig } from "./kubeconfig.ts";

export interface AdminKubeconfigOptions {
  ca: CertificateAuthority;
  server: string;
  path: string;
  /** CN and O of the client certificate (O=system:masters: full access). */
  user?: string;
  groups?: readonly string[];
  validityDays?: number;
}

/** Issues a client certificate and writes a kubeconfig with it (mode 0600: it holds a key). */
export async function writeAdminKubeconfig(options: AdminKubeconfigOptions): Promise<void> {
  const user = options.user ?? "kubun-admin";
  const issued = await options.ca.issue({
    commonName: user,
    organizations: options.groups ?? ["system:masters"],
    usages: ["clientAuth"],
    validityDays: options.validityDays ?? 365,
  });
  const text = buildKubeconfig({
    server: options.server,
    caPem: options.ca.certPem,
    userName: user,
    clientCertPem: issued.certPem,
    clientKeyPem: issued.keyPem ?? "",
    contextName: "kubun",
  });
  await writeFile(options.path, text, { mode: 0o600 });
  await chmod(options.path, 0o600);
}

import { randomUUID } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { CertificateAuthority } from "./certificate-authority.ts";
import { type ServingCertificate, servingCertificate } from "./serving-certificate.ts";
import type { SubjectAltNames } from "./subject-alt-names.ts";

export interface PkiOptions {
  /** Extra SANs for the serving certificate, on top of the defaults and the host name. */
  sans: Partial<SubjectAltNames>;
  /** Defaults to the machine's host name. */
  hostname?: string;
  /**
   * The cluster's CA (shared through the datastore); written to the directory
   * when the copy there differs. Without it, the directory's CA is used or created.
   */
  ca?: CertificateAuthority;
}

export interface Pki {
  ca: CertificateAuthority;
  serving: ServingCertificate;
  /** True when this call created the CA (first start). */
  caCreated: boolean;
  /** Why the serving certificate was (re-)issued by this call; undefined when it was reused. */
  servingIssued?: string;
}

const CA_COMMON_NAME = "kubun-ca";

/**
 * The edge that keeps the cluster PKI in a directory (`<data-dir>/tls`):
 * `ca.crt`, `ca.key`, `serving.crt`, `serving.key`. Creates the CA on first
 * start and (re-)issues the serving certificate when it is missing, does not
 * cover the requested SANs, or has under 30 days left.
 *
 * The directory is 0700, keys 0600, certificates 0644. Each file is replaced
 * atomically. A ca.crt without its ca.key (or the reverse) is an error: a new
 * CA would silently invalidate every certificate issued so far. One process
 * per directory (the data-directory lock guarantees it).
 */
export async function loadOrCreatePki(dir: string, options: PkiOptions): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is subject to the umask and ignored for an existing directory.
  await chmod(dir, 0o700);
  const files = {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    servingCert: join(dir, "serving.crt"),
    servingKey: join(dir, "serving.key"),
  };

  const [caCertPem, caKeyPem] = await Promise.all([
    readOptional(files.caCert),
    readOptional(files.caKey),
  ]);
  let ca: CertificateAuthority;
  const caCreated = !options.ca && caCertPem === undefined && caKeyPem === undefined;
  if (options.ca) {
    ca = options.ca;
    if (caCertPem !== ca.certPem || caKeyPem !== ca.keyPem) {
      await writeAtomic(files.caKey, ca.keyPem, 0o600);
      await writeAtomic(files.caCert, ca.certPem, 0o644);
    }
  } else if (caCreated) {
    ca = await CertificateAuthority.create({ commonName: CA_COMMON_NAME });
    await writeAtomic(files.caKey, ca.keyPem, 0o600);
    await writeAtomic(files.caCert, ca.certPem, 0o644);
  } else if (caCertPem === undefined || caKeyPem === undefined) {
    const missing = caCertPem === undefined ? files.caCert : files.caKey;
    throw new Error(
      `${missing} is missing; restore it (creating a new CA would invalidate every issued certificate)`,
    );
  } else {
    ca = await CertificateAuthority.fromPem(caCertPem, caKeyPem);
  }

  const sans = servingCertificate.sans(options.sans, options.hostname ?? osHostname());
  const [servingCertPem, servingKeyPem] = await Promise.all([
    readOptional(files.servingCert),
    readOptional(files.servingKey),
  ]);
  let reason = "missing";
  if (servingCertPem !== undefined && servingKeyPem !== undefined) {
    const current = { certPem: servingCertPem, keyPem: servingKeyPem };
    const why = await servingCertificate.reissueReason(ca, current, sans);
    if (why === undefined) return { ca, serving: current, caCreated };
    reason = why;
  }
  const serving = await servingCertificate.issue(ca, sans);
  // Key first: a crash between the two renames leaves a mismatched pair, which
  // reissueReason detects on the next start.
  await writeAtomic(files.servingKey, serving.keyPem, 0o600);
  await writeAtomic(files.servingCert, serving.certPem, 0o644);
  return { ca, serving, caCreated, servingIssued: reason };
}

/** The CA kept in `dir`, if there is one (a cluster created before the datastore held it). */
export async function readLocalCa(dir: string): Promise<CertificateAuthority | undefined> {
  const [certPem, keyPem] = await Promise.all([
    readOptional(join(dir, "ca.crt")),
    readOptional(join(dir, "ca.key")),
  ]);
  if (certPem === undefined || keyPem === undefined) return undefined;
  return CertificateAuthority.fromPem(certPem, keyPem);
}

export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, data, { mode, flag: "wx" });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { CertificateAuthority, IssuedCertificate } from "./certificate-authority.ts";
import { canonicalIp } from "./ip-address.ts";
import { importPrivateKey } from "./private-key.ts";
import { readSubjectAltNames, type SubjectAltNames } from "./subject-alt-names.ts";

// The names kubectl, in-cluster clients and local tools use for the API server
// (kubeadm puts the same ones in apiserver.crt).
const DEFAULT_DNS_NAMES = [
  "localhost",
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
];
const DEFAULT_IPS = ["127.0.0.1", "::1"];
// One year, as kubeadm issues apiserver.crt; re-issued on start once under 30 days remain.
const VALIDITY_DAYS = 365;
const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The serving certificate and key as stored on disk. */
export interface ServingCertificate {
  certPem: string;
  keyPem: string;
}

/**
 * The API server's serving certificate: issuing it and deciding whether the
 * one on disk can still be used. Pure: callers do the file access.
 */
export const servingCertificate = {
  /** The SANs the serving certificate must cover: the requested ones, the defaults and the host name. */
  sans(requested: Partial<SubjectAltNames>, hostname: string): SubjectAltNames {
    const dnsNames = [...DEFAULT_DNS_NAMES, hostname, ...(requested.dnsNames ?? [])]
      .map((name) => name.toLowerCase())
      .filter((name) => name !== "");
    const ipAddresses = [...DEFAULT_IPS, ...(requested.ipAddresses ?? [])].map(canonicalIp);
    return { dnsNames: [...new Set(dnsNames)], ipAddresses: [...new Set(ipAddresses)] };
  },

  async issue(ca: CertificateAuthority, sans: SubjectAltNames): Promise<ServingCertificate> {
    const issued: IssuedCertificate = await ca.issue({
      commonName: "kube-apiserver",
      dnsNames: sans.dnsNames,
      ipAddresses: sans.ipAddresses,
      usages: ["serverAuth"],
      validityDays: VALIDITY_DAYS,
    });
    if (issued.keyPem === undefined) throw new Error("issued serving certificate has no key");
    return { certPem: issued.certPem, keyPem: issued.keyPem };
  },

  /**
   * Why `current` must be re-issued, or undefined when it can be kept: it must
   * be signed by `ca`, match its key, cover every SAN in `sans` and have at
   * least 30 days left at `now`.
   */
  async reissueReason(
    ca: CertificateAuthority,
    current: ServingCertificate,
    sans: SubjectAltNames,
    now: Date = new Date(),
  ): Promise<string | undefined> {
    let certificate: x509.X509Certificate;
    try {
      certificate = new x509.X509Certificate(current.certPem);
      await importPrivateKey(current.keyPem, certificate.publicKey);
    } catch (error) {
      return `unreadable certificate or key: ${(error as Error).message}`;
    }
    if (!(await ca.verify(current.certPem, now))) return "not signed by the current CA, or expired";
    if (certificate.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) {
      return `expires ${certificate.notAfter.toISOString()}`;
    }
    const present = readSubjectAltNames(certificate.extensions);
    const presentDns = new Set(present.dnsNames.map((name) => name.toLowerCase()));
    const presentIps = new Set(present.ipAddresses);
    const missing = [
      ...sans.dnsNames.filter((name) => !presentDns.has(name.toLowerCase())),
      ...sans.ipAddresses.map(canonicalIp).filter((ip) => !presentIps.has(ip)),
    ];
    return missing.length > 0 ? `missing SANs: ${missing.join(", ")}` : undefined;
  },
};

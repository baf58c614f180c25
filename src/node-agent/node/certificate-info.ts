import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { readSubjectAltNames } from "../../tls/subject-alt-names.ts";

/** What the agent needs to know about one of its certificates. */
export interface CertificateInfo {
  commonName: string;
  organizations: string[];
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  /** In canonicalIp form. */
  ipAddresses: string[];
}

/** Undefined when `certPem` is not a certificate. */
export function certificateInfo(certPem: string): CertificateInfo | undefined {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certPem);
  } catch {
    return undefined;
  }
  return {
    commonName: certificate.subjectName.getField("CN").at(-1) ?? "",
    organizations: certificate.subjectName.getField("O"),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    ...readSubjectAltNames(certificate.extensions),
  };
}

export const NODE_USER_PREFIX = "system:node:";
export const NODES_GROUP = "system:nodes";

/** Whether the certificate names node `nodeName` (CN system:node:<name>, O system:nodes). */
export function certifiesNode(info: CertificateInfo, nodeName: string): boolean {
  return (
    info.commonName === NODE_USER_PREFIX + nodeName && info.organizations.includes(NODES_GROUP)
  );
}

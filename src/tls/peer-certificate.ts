import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/** Who a client certificate names, in Kubernetes' terms. */
export interface CertificateIdentity {
  /** The subject's common name. */
  user: string;
  /** The subject's organization values, in order. */
  groups: string[];
}

/**
 * The user (CN) and groups (O) of a client certificate, the way Kubernetes'
 * x509 authenticator reads them (the last CN when there are several).
 * Accepts PEM text or DER bytes (`socket.getPeerCertificate().raw`).
 *
 * It does not check the chain or validity: call it only for a certificate the
 * TLS layer (or `CertificateAuthority.verify`) has already accepted. Throws
 * when the subject has no CN, which upstream treats as not authenticated.
 */
export function identityFromCertificate(
  certificate: string | ArrayBuffer | Uint8Array,
): CertificateIdentity {
  const subject = new x509.X509Certificate(certificate).subjectName;
  const user = subject.getField("CN").at(-1);
  if (user === undefined || user === "") throw new Error("client certificate has no common name");
  return { user, groups: subject.getField("O") };
}

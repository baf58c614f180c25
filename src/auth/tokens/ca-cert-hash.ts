import "reflect-metadata";
import { createHash } from "node:crypto";
import * as x509 from "@peculiar/x509";

const PIN_PATTERN = /^sha256:([0-9a-f]{64})$/i;

/**
 * kubeadm's CA pin (--discovery-token-ca-cert-hash) of the first certificate
 * in `caPem`: "sha256:<hex SHA-256 of its DER SubjectPublicKeyInfo>". Pinning
 * the key rather than the certificate survives re-issuing the CA with the same key.
 */
export function caCertHash(caPem: string): string {
  const [first] = caCertHashes(caPem);
  if (first === undefined) throw new Error("no CERTIFICATE block in the CA PEM");
  return first;
}

/** The pin of every certificate in a PEM bundle, in order. */
export function caCertHashes(caPem: string): string[] {
  return x509.PemConverter.decodeWithHeaders(caPem)
    .filter((block) => block.type === "CERTIFICATE")
    .map((block) => {
      const spki = new x509.X509Certificate(block.rawData).publicKey.rawData;
      return `sha256:${createHash("sha256").update(new Uint8Array(spki)).digest("hex")}`;
    });
}

/**
 * A pin in canonical form ("sha256:" and lower-case hex). Throws for anything
 * else: a mistyped pin must fail loudly rather than never match.
 */
export function parseCaCertHash(pin: string): string {
  const match = PIN_PATTERN.exec(pin.trim());
  if (match?.[1] === undefined) {
    throw new Error(
      `invalid CA certificate hash "${pin}": expected "sha256:" followed by 64 hex digits`,
    );
  }
  return `sha256:${match[1].toLowerCase()}`;
}

/** Whether any certificate in `caPem` has the pinned public key (kubeadm checks every CA in the bundle). */
export function matchesCaCertHash(caPem: string, pin: string): boolean {
  const wanted = parseCaCertHash(pin);
  return caCertHashes(caPem).includes(wanted);
}

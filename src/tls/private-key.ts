import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/**
 * Imports a PKCS#8 PEM private key for signing and checks that it belongs to
 * `publicKey` (the certificate's), so a mismatched cert/key pair fails here with
 * a clear message instead of later as a TLS handshake error. Supports ECDSA
 * (kubun's own keys) and RSA (CAs brought from kubeadm). The key is extractable
 * because its PEM is written back out.
 */
export async function importPrivateKey(
  keyPem: string,
  publicKey: x509.PublicKey,
): Promise<CryptoKey> {
  const blocks = x509.PemConverter.decodeWithHeaders(keyPem);
  const block = blocks[0];
  if (blocks.length !== 1 || block === undefined) {
    throw new Error("expected exactly one PEM block in the private key");
  }
  if (block.type !== "PRIVATE KEY") {
    throw new Error(
      `private key is a PEM "${block.type}"; convert it to PKCS#8 ("PRIVATE KEY"), e.g. with openssl pkcs8 -topk8 -nocrypt`,
    );
  }
  const algorithm = signingKeyAlgorithm(publicKey);
  const privateKey = await crypto.subtle.importKey("pkcs8", block.rawData, algorithm, true, [
    "sign",
  ]);
  const [privateJwk, publicJwk] = await Promise.all([
    crypto.subtle.exportKey("jwk", privateKey),
    crypto.subtle.exportKey("jwk", await publicKey.export(algorithm, ["verify"])),
  ]);
  const fields = publicJwk.kty === "RSA" ? (["n", "e"] as const) : (["crv", "x", "y"] as const);
  if (fields.some((field) => privateJwk[field] !== publicJwk[field])) {
    throw new Error("private key does not match the certificate's public key");
  }
  return privateKey;
}

/** Web Crypto import parameters for the signing keys kubun handles. */
export type SigningKeyAlgorithm =
  | { name: "ECDSA"; namedCurve: string }
  | { name: "RSASSA-PKCS1-v1_5"; hash: "SHA-256" };

/** The Web Crypto import parameters for a signing key of the same type as `publicKey`. */
export function signingKeyAlgorithm(publicKey: x509.PublicKey): SigningKeyAlgorithm {
  const { name } = publicKey.algorithm;
  if (name === "ECDSA" || name === "ECDH") {
    return {
      name: "ECDSA",
      namedCurve: String((publicKey.algorithm as { namedCurve?: string }).namedCurve),
    };
  }
  if (name.startsWith("RSA")) return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  throw new Error(`unsupported key algorithm ${name}`);
}

import { createHmac } from "node:crypto";
import { constantTimeEqual } from "./secret-data.ts";

/** The cluster-info ConfigMap: namespace, name and data keys the joining side reads. */
export const CLUSTER_INFO_NAMESPACE = "kube-public";
export const CLUSTER_INFO_NAME = "cluster-info";
export const CLUSTER_INFO_KUBECONFIG_KEY = "kubeconfig";
/** Each signature is stored under "jws-kubeconfig-<token id>". */
export const JWS_SIGNATURE_KEY_PREFIX = "jws-kubeconfig-";

// Upstream pads the secret with zero bytes to 32 (a go-jose minimum for HS256).
// HMAC zero-pads short keys to its block size anyway, so the signature is the
// same as with the bare secret.
const MIN_KEY_BYTES = 32;

/**
 * The detached compact JWS (RFC 7515 appendix F) the bootstrap signer puts in
 * cluster-info for one token: HS256 keyed with the token secret, protected
 * header {"alg":"HS256","kid":"<token id>"}, payload elided ("header..signature").
 * The header must be byte-identical to upstream's because verification
 * recomputes and compares the whole string.
 */
export async function signDetached(
  content: string,
  tokenId: string,
  tokenSecret: string,
): Promise<string> {
  const header = base64url(JSON.stringify({ alg: "HS256", kid: tokenId }));
  const signingInput = `${header}.${base64url(content)}`;
  const signature = createHmac("sha256", hmacKey(tokenSecret)).update(signingInput).digest();
  return `${header}..${signature.toString("base64url")}`;
}

/** Whether `jws` is the detached signature of `content` by this token (as upstream: recompute and compare). */
export async function verifyDetached(
  jws: string,
  content: string,
  tokenId: string,
  tokenSecret: string,
): Promise<boolean> {
  return constantTimeEqual(jws, await signDetached(content, tokenId, tokenSecret));
}

function hmacKey(tokenSecret: string): Buffer {
  const secret = Buffer.from(tokenSecret, "utf8");
  if (secret.length >= MIN_KEY_BYTES) return secret;
  const key = Buffer.alloc(MIN_KEY_BYTES);
  secret.copy(key);
  return key;
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

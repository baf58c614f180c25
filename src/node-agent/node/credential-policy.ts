import { renewalDeadline } from "../../auth/join/join.ts";
import { caCertHashes, parseCaCertHash } from "../../auth/tokens/ca-cert-hash.ts";
import { certificateInfo, certifiesNode } from "./certificate-info.ts";
import type { StoredCredentials } from "./credential-store.ts";

export type CredentialDecision =
  /** Valid: use them, and renew at `renewAt` (in the past: renew now, in the background). */
  | { action: "use"; renewAt: Date }
  /** Unusable: join again (needs a bootstrap token). */
  | { action: "join"; reason: string };

export interface DecisionContext {
  nodeName: string;
  /** When given, the kept CA must have one of these public-key hashes. */
  caCertHashes?: readonly string[];
  now?: Date;
  /** Math.random's range; picks the renewal point within 70–90 % of the lifetime. */
  random?: () => number;
}

/**
 * What a starting agent does with the credentials it kept: use them (until
 * their jittered renewal point, upstream's 70–90 % of the lifetime), or join
 * again when there are none, they have expired, they are for another node, or
 * the CA is not the one the given --ca-cert-hash pins (a different cluster).
 */
export function decideCredentials(
  stored: StoredCredentials | undefined,
  context: DecisionContext,
): CredentialDecision {
  if (!stored) return { action: "join", reason: "this node has not joined a cluster yet" };
  const info = certificateInfo(stored.certPem);
  if (!info) return { action: "join", reason: "the kept client certificate does not parse" };
  if (!certifiesNode(info, context.nodeName)) {
    return {
      action: "join",
      reason: `the kept client certificate is for "${info.commonName}", not system:node:${context.nodeName}`,
    };
  }
  const now = context.now ?? new Date();
  if (now.getTime() >= info.notAfter.getTime()) {
    return {
      action: "join",
      reason: `the kept client certificate expired at ${info.notAfter.toISOString()}`,
    };
  }
  const pins = (context.caCertHashes ?? []).map(parseCaCertHash);
  if (pins.length > 0 && !caCertHashes(stored.caPem).some((hash) => pins.includes(hash))) {
    return { action: "join", reason: "the kept cluster CA is not the one --ca-cert-hash pins" };
  }
  return { action: "use", renewAt: renewalDeadline(stored.certPem, context.random) };
}

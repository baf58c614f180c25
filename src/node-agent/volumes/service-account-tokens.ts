/**
 * Bound service account tokens for projected volumes (the kubelet's token
 * manager): a TokenRequest per (account, audience, lifetime, pod), cached and
 * renewed once 80% of its lifetime has passed or it is older than 24 hours.
 * A failed renewal keeps the old token while it is still valid.
 */
import type { ResourceClient } from "../../client/api-client.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { ServiceAccountTokenProjection } from "./volume-types.ts";

/** Upstream's default for a projection's expirationSeconds. */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;
const MAX_TOKEN_AGE_MS = 24 * 60 * 60 * 1000;

interface CachedToken {
  token: string;
  podUid: string;
  expiresAt: number;
  lifetimeMs: number;
}

interface TokenRequestAnswer extends KubeObject {
  spec?: { expirationSeconds?: number };
  status?: { token?: string; expirationTimestamp?: string };
}

export class ServiceAccountTokens {
  readonly #cache = new Map<string, CachedToken>();

  constructor(
    private readonly client: ResourceClient,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** A token for `pod`'s service account, from the cache unless it is due for renewal. */
  async get(pod: KubeObject, projection: ServiceAccountTokenProjection): Promise<string> {
    const namespace = pod.metadata?.namespace ?? "default";
    const podUid = pod.metadata?.uid ?? "";
    const account = serviceAccountOf(pod);
    const audience = projection.audience ?? "";
    const expirationSeconds = projection.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS;
    const key = JSON.stringify([namespace, account, audience, expirationSeconds, podUid]);
    const cached = this.#cache.get(key);
    if (cached && !this.#dueForRenewal(cached)) return cached.token;
    try {
      const fresh = await this.#request(pod, account, audience, expirationSeconds);
      this.#cache.set(key, fresh);
      return fresh.token;
    } catch (error) {
      const reason = (error as Error).message;
      if (!cached) throw new Error(`failed to fetch token: ${reason}`);
      if (this.now() >= cached.expiresAt) {
        throw new Error(`token for ${namespace}/${account} expired and refresh failed: ${reason}`);
      }
      this.log.warn("could not renew a service account token; keeping the current one", {
        pod: `${namespace}/${pod.metadata?.name ?? ""}`,
        error: reason,
      });
      return cached.token;
    }
  }

  /** Drops the pod's tokens (its volumes are gone). */
  forget(podUid: string): void {
    for (const [key, token] of this.#cache) if (token.podUid === podUid) this.#cache.delete(key);
  }

  #dueForRenewal(token: CachedToken): boolean {
    const now = this.now();
    const issuedAt = token.expiresAt - token.lifetimeMs;
    if (now >= issuedAt + MAX_TOKEN_AGE_MS) return true;
    if (now >= token.expiresAt - token.lifetimeMs * 0.2) return true;
    // The clock went backwards past the issue time: the token's times cannot be trusted.
    return now < issuedAt;
  }

  async #request(
    pod: KubeObject,
    account: string,
    audience: string,
    expirationSeconds: number,
  ): Promise<CachedToken> {
    const namespace = pod.metadata?.namespace ?? "default";
    const path = resourcePath({
      version: "v1",
      resource: "serviceaccounts",
      namespace,
      name: account,
      subresource: "token",
    });
    const answer: TokenRequestAnswer = await this.client.create<KubeObject>(path, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      metadata: { name: account, namespace },
      spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds,
        boundObjectRef: {
          apiVersion: "v1",
          kind: "Pod",
          name: pod.metadata?.name ?? "",
          uid: pod.metadata?.uid ?? "",
        },
      },
    });
    const token = answer.status?.token;
    const expiration = Date.parse(answer.status?.expirationTimestamp ?? "");
    if (!token || Number.isNaN(expiration)) throw new Error("TokenRequest answer has no token");
    // The server may grant a different lifetime than asked; its answer says which.
    const lifetimeSeconds = answer.spec?.expirationSeconds ?? expirationSeconds;
    return {
      token,
      podUid: pod.metadata?.uid ?? "",
      expiresAt: expiration,
      lifetimeMs: lifetimeSeconds * 1000,
    };
  }
}

function serviceAccountOf(pod: KubeObject): string {
  return (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || "default";
}

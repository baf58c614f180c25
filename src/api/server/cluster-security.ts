import { AuditLog } from "../../auth/audit-log.ts";
import { RequestAuthenticator, type TokenAuthenticator } from "../../auth/authenticator.ts";
import { AuthorizerChain } from "../../auth/authorizer-chain.ts";
import { NodeGraph } from "../../auth/node/graph.ts";
import { NodeAuthorizer } from "../../auth/node/node-authorizer.ts";
import { RbacAuthorizer } from "../../auth/rbac/rbac-authorizer.ts";
import { RequestSecurity } from "../../auth/request-security.ts";
import { authenticateBootstrapToken } from "../../auth/tokens/bootstrap-token.ts";
import {
  importSigningKeyPair,
  ServiceAccountTokens,
} from "../../auth/tokens/service-account-token.ts";
import { StaticTokens } from "../../auth/tokens/static-token-file.ts";
import type { ObjectReader } from "../../auth/types.ts";
import type { WatchCache } from "../registry/watch-cache.ts";

export interface SecurityOptions {
  serviceAccountKeyPem: string;
  serviceAccountPublicPem: string;
  /** Static bearer tokens (CSV, upstream's --token-auth-file). */
  tokenAuthFile?: string | undefined;
  /** Audit log file (JSON lines, Metadata level). */
  auditLog?: string | undefined;
  /** Lifetime of certificates the CSR signer issues. */
  clusterSigningDurationSeconds: number;
}

/** Everything that decides who a request is from and what it may do. */
export interface ClusterSecurity {
  security: RequestSecurity;
  authorizer: AuthorizerChain;
  serviceAccountTokens: ServiceAccountTokens;
  /** TokenReview: the token authenticators, without client certificates. */
  reviewToken(
    token: string,
    audiences: readonly string[],
  ): Promise<import("../../auth/types.ts").UserInfo | null>;
  audit: AuditLog | undefined;
  stop(): Promise<void>;
}

/**
 * Builds authentication (client certificates; static, bootstrap and
 * service-account tokens), authorization (Node, then RBAC; system:masters
 * first) and the audit log over the API server's watch caches.
 */
export async function buildClusterSecurity(
  reader: ObjectReader,
  pods: WatchCache,
  options: SecurityOptions,
): Promise<ClusterSecurity> {
  const graph = NodeGraph.fromPods(pods.list().objects);
  pods.addListener({
    onEvent(event) {
      if (event.type === "DELETED") graph.podDeleted(event.object);
      else graph.podUpdated(event.object);
    },
    onClose() {},
  });
  const authorizer = new AuthorizerChain([
    new NodeAuthorizer(graph, reader),
    new RbacAuthorizer(reader),
  ]);
  const serviceAccountTokens = new ServiceAccountTokens({
    keyPair: await importSigningKeyPair({
      privateKeyPem: options.serviceAccountKeyPem,
      publicKeyPem: options.serviceAccountPublicPem,
    }),
  });
  const statics = options.tokenAuthFile
    ? await StaticTokens.fromFile(options.tokenAuthFile)
    : undefined;
  const tokenAuthenticators = (audiences?: readonly string[]): TokenAuthenticator[] => [
    ...(statics ? [{ authenticate: async (token: string) => statics.authenticate(token) }] : []),
    { authenticate: async (token) => authenticateBootstrapToken(token, reader) },
    {
      authenticate: (token) =>
        serviceAccountTokens.authenticate(token, reader, audiences ? { audiences } : {}),
    },
  ];
  const audit = options.auditLog ? new AuditLog(options.auditLog) : undefined;
  return {
    security: new RequestSecurity(new RequestAuthenticator(tokenAuthenticators()), authorizer),
    authorizer,
    serviceAccountTokens,
    async reviewToken(token, audiences) {
      for (const authenticator of tokenAuthenticators(audiences.length ? audiences : undefined)) {
        const user = await authenticator.authenticate(token);
        if (user) return user;
      }
      return null;
    },
    audit,
    async stop() {
      await audit?.close();
    },
  };
}

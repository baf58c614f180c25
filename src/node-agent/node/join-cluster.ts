import { discoverCluster, requestClientCertificate } from "../../auth/join/join.ts";
import { ApiError } from "../../client/api-error.ts";
import type { StoredCredentials } from "./credential-store.ts";
import { isUnreachable } from "./node-client.ts";

const CREATE_TOKEN_HINT =
  "create one with `kubun token create` on a server and pass it with --token";

/** A join that failed for a reason the user has to act on; the message says what to do. */
export class JoinError extends Error {
  override readonly name = "JoinError";
}

export interface JoinOptions {
  servers: readonly string[];
  token: string;
  caCertHashes: readonly string[];
  nodeName: string;
  /** The cluster CA when it was discovered already (a hollow fleet discovers once). */
  caPem?: string;
  /** How long discovery keeps trying (servers unreachable, token not signed yet); default 2 min. */
  discoveryTimeoutMs?: number;
  /** How long to wait for the CSR to be approved and signed; default 10 min. */
  timeoutMs?: number;
  onProgress?: (message: string) => void;
}

/** Finds the cluster CA through the first server that answers (kubeadm's token discovery). */
export async function discoverOnFirstReachable(
  options: Omit<JoinOptions, "nodeName" | "caPem" | "timeoutMs">,
): Promise<{ server: string; caPem: string }> {
  const report = options.onProgress ?? (() => {});
  const timeoutMs = options.discoveryTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const attempt = (server: string, timeoutMs: number) =>
    discoverCluster({
      server,
      token: options.token,
      caCertHashes: options.caCertHashes,
      timeoutMs,
      retryIntervalMs: 1000,
    });
  for (let round = 0; ; round++) {
    let unreachable: unknown;
    for (const server of options.servers) {
      if (round === 0) report(`discovering the cluster at ${server}`);
      try {
        const found = await attempt(server, 0);
        return { server, caPem: found.caPem };
      } catch (error) {
        if (isUnreachable(error)) {
          unreachable = error;
          continue;
        }
        // It answered: whatever is wrong is the cluster's answer; retry there (a
        // token not yet signed is transient, a wrong hash fails at once).
        if ((error as Error).message.includes("no JWS signed token")) {
          report(
            `the bootstrap token is not in the cluster-info ConfigMap: waiting up to ${Math.round(timeoutMs / 1000)}s (a token just created is signed within seconds; an expired or unknown one never is)`,
          );
        }
        try {
          const found = await attempt(server, Math.max(0, deadline - Date.now()));
          return { server, caPem: found.caPem };
        } catch (again) {
          throw explain(again);
        }
      }
    }
    const why = `${(unreachable as Error).message}`;
    if (Date.now() + 2000 > deadline) {
      throw new JoinError(
        `no API server answered (${options.servers.join(", ")}): ${why}; check --server`,
      );
    }
    if (round === 0) {
      report(
        `no API server answers yet (${why}); retrying for up to ${Math.round(timeoutMs / 1000)}s`,
      );
    }
    await Bun.sleep(2000);
  }
}

/**
 * The kubelet's TLS bootstrap over several servers: discovery (unless the CA
 * is given), then the node client CSR with the bootstrap token, sent to the
 * first server that answers. Failures the user must fix are JoinErrors.
 */
export async function joinCluster(options: JoinOptions): Promise<StoredCredentials> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const discovered = options.caPem
    ? { server: options.servers[0] ?? "", caPem: options.caPem }
    : await discoverOnFirstReachable(options);
  const servers = [
    discovered.server,
    ...options.servers.filter((server) => server !== discovered.server),
  ];
  let lastError: unknown;
  for (const server of servers) {
    try {
      const issued = await requestClientCertificate({
        server,
        caPem: discovered.caPem,
        token: options.token,
        nodeName: options.nodeName,
        timeoutMs,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      return { server, caPem: discovered.caPem, ...issued };
    } catch (error) {
      if (!isUnreachable(error)) throw explain(error);
      lastError = error;
    }
  }
  throw new JoinError(
    `no API server answered the certificate request: ${(lastError as Error).message}`,
  );
}

/** The library's errors with what to do about them. */
function explain(error: unknown): Error {
  if (error instanceof ApiError && error.code === 401) {
    return new JoinError(
      `the API server refused the bootstrap token (it has expired or was deleted): ${CREATE_TOKEN_HINT}`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes("--ca-cert-hash")) {
    return new JoinError(
      `${message}. The join command \`kubun token create\` prints on a server has the right hash`,
    );
  }
  if (message.includes("no JWS signed token")) {
    return new JoinError(
      `the bootstrap token is not valid for this cluster (expired, deleted or mistyped): ${CREATE_TOKEN_HINT}. (${message})`,
    );
  }
  if (message.includes("bootstrap token must have the form")) {
    return new JoinError(`--token: ${message}`);
  }
  return error instanceof Error ? error : new Error(message);
}

import {
  type ClientCertificate,
  renewalDeadline,
  renewClientCertificate,
} from "../../auth/join/join.ts";
import type { ClientConfig } from "../../client/kube-config.ts";
import type { Logger } from "../../log/logger.ts";
import type { CertificateAuthority } from "../../tls/certificate-authority.ts";
import { NODE_USER_PREFIX, NODES_GROUP } from "./certificate-info.ts";
import { CertificateRotation } from "./certificate-rotation.ts";
import { decideCredentials } from "./credential-policy.ts";
import {
  type CredentialStore,
  fileCredentialStore,
  memoryCredentialStore,
  type StoredCredentials,
} from "./credential-store.ts";
import { JoinError, joinCluster } from "./join-cluster.ts";
import { FailoverClient, isUnreachable } from "./node-client.ts";

export interface NodeCredentialsOptions {
  /** API server URLs, tried in order; empty: the server the kept credentials name. */
  servers: readonly string[];
  nodeName: string;
  /** Where to keep the credentials (node.kubeconfig, 0600); without it (and `store`), in memory. */
  dataDir?: string;
  store?: CredentialStore;
  /** Bootstrap token, needed only to join. */
  token?: string;
  caCertHashes?: readonly string[];
  /** The cluster CA when already discovered (skips discovery: hollow fleets discover once). */
  caPem?: string;
  /** Bound on discovery (default 2 minutes) and on the CSR's approval (default 10 minutes). */
  discoveryTimeoutMs?: number;
  joinTimeoutMs?: number;
  onProgress?: (message: string) => void;
  log?: Logger;
  random?: () => number;
  now?: () => Date;
}

export interface CaCredentialsOptions {
  ca: CertificateAuthority;
  servers: readonly string[];
  nodeName: string;
  dataDir?: string;
  store?: CredentialStore;
  /** Lifetime of the client certificates issued; default 365 days. */
  validityDays?: number;
  log?: Logger;
  random?: () => number;
  now?: () => Date;
}

/** How the credentials in use came to be. */
export type CredentialOrigin = "joined" | "kept" | "issued";

type Renewer = (current: StoredCredentials, server: string) => Promise<ClientCertificate>;

interface Setup {
  servers: readonly string[];
  nodeName: string;
  store: CredentialStore;
  renew: Renewer;
  log?: Logger;
  random?: () => number;
  now?: () => Date;
}

/**
 * A node's identity towards the API: its client certificate (system:node:<name>
 * in system:nodes), the cluster CA, and a client over the API servers that
 * uses them. Joins on first start, keeps them in the data directory, reuses
 * them on restart, and rotates the certificate at a random point 70–90 % into
 * its lifetime (over mutual TLS with the current one); listeners and the
 * client get the new one at once.
 */
export class NodeCredentials {
  readonly nodeName: string;
  readonly origin: CredentialOrigin;
  readonly client: FailoverClient;
  readonly #setup: Setup;
  readonly #rotation: CertificateRotation;
  readonly #listeners = new Set<(credentials: StoredCredentials) => void>();
  #current: StoredCredentials;
  #renewAt: Date;

  private constructor(setup: Setup, current: StoredCredentials, origin: CredentialOrigin) {
    this.#setup = setup;
    this.nodeName = setup.nodeName;
    this.origin = origin;
    this.#current = current;
    this.#renewAt = renewalDeadline(current.certPem, setup.random);
    this.client = new FailoverClient(setup.servers, toClientCredentials(current));
    this.#rotation = new CertificateRotation({
      renewAt: () => this.#renewAt,
      rotate: () => this.rotate(),
      onError: (error, failures) =>
        setup.log?.warn("renewing the node client certificate failed; retrying", {
          error,
          failures,
        }),
      ...(setup.now ? { now: setup.now } : {}),
    });
  }

  /** Kept credentials when usable, else a join with the bootstrap token. */
  static async start(options: NodeCredentialsOptions): Promise<NodeCredentials> {
    const store = storeFor(options);
    const kept = await store.load();
    const decision = decideCredentials(kept, {
      nodeName: options.nodeName,
      ...(options.caCertHashes ? { caCertHashes: options.caCertHashes } : {}),
      ...(options.now ? { now: options.now() } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    const servers = options.servers.length > 0 ? options.servers : kept ? [kept.server] : [];
    if (servers.length === 0) throw new JoinError("no API server given: pass --server URL");
    const setup: Setup = { ...options, servers, store, renew: renewOverMutualTls(options) };
    if (decision.action === "use" && kept) {
      options.log?.debug("using the kept credentials", { location: store.location });
      return new NodeCredentials(setup, kept, "kept");
    }
    const reason = decision.action === "join" ? decision.reason : "";
    if (!options.token) {
      throw new JoinError(
        `${reason}: pass --token and --ca-cert-hash (the join command \`kubun token create\` prints on a server)`,
      );
    }
    if (kept) options.onProgress?.(`joining again: ${reason}`);
    const joined = await joinCluster({
      servers,
      token: options.token,
      caCertHashes: options.caCertHashes ?? [],
      nodeName: options.nodeName,
      ...(options.caPem ? { caPem: options.caPem } : {}),
      ...(options.discoveryTimeoutMs ? { discoveryTimeoutMs: options.discoveryTimeoutMs } : {}),
      ...(options.joinTimeoutMs ? { timeoutMs: options.joinTimeoutMs } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    await store.save(joined);
    return new NodeCredentials(setup, joined, "joined");
  }

  /**
   * Credentials issued straight from the cluster CA, without a token or CSR
   * (the agent inside `kubun server`, which holds the CA); renewed the same way.
   */
  static async fromCertificateAuthority(options: CaCredentialsOptions): Promise<NodeCredentials> {
    const store = storeFor(options);
    const issue = async (): Promise<ClientCertificate> => {
      const issued = await options.ca.issue({
        commonName: NODE_USER_PREFIX + options.nodeName,
        organizations: [NODES_GROUP],
        usages: ["clientAuth"],
        validityDays: options.validityDays ?? 365,
      });
      return { certPem: issued.certPem, keyPem: issued.keyPem ?? "" };
    };
    const setup: Setup = { ...options, store, renew: issue };
    const kept = await store.load();
    const decision = decideCredentials(kept, {
      nodeName: options.nodeName,
      ...(options.now ? { now: options.now() } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    if (decision.action === "use" && kept && kept.caPem === options.ca.certPem) {
      return new NodeCredentials(setup, kept, "kept");
    }
    const server = options.servers[0] ?? "";
    const fresh = { server, caPem: options.ca.certPem, ...(await issue()) };
    await store.save(fresh);
    return new NodeCredentials(setup, fresh, "issued");
  }

  /** The API server calls go to now. */
  serverUrl(): string {
    return this.client.serverUrl();
  }

  /** A fresh config for an ApiClient of one's own (current server and certificate). */
  clientConfig(): ClientConfig {
    return { ...this.client.config };
  }

  get caPem(): string {
    return this.#current.caPem;
  }

  get certPem(): string {
    return this.#current.certPem;
  }

  get keyPem(): string {
    return this.#current.keyPem;
  }

  /** When the certificate in use is due for renewal. */
  get renewAt(): Date {
    return this.#renewAt;
  }

  /** Called after each rotation; returns a function that removes the listener. */
  onRotated(listener: (credentials: StoredCredentials) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts renewing in the background (at once when the kept certificate is due). */
  startRotation(): void {
    this.#rotation.start();
  }

  async stop(): Promise<void> {
    await this.#rotation.stop();
  }

  /** Replaces the certificate now: a new key, a CSR over mutual TLS, kept, then handed out. */
  async rotate(): Promise<void> {
    const { servers, renew, store, log } = this.#setup;
    const first = Math.max(0, servers.indexOf(this.serverUrl()));
    let lastError: unknown;
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(first + i) % servers.length] ?? "";
      try {
        const issued = await renew(this.#current, server);
        const next = { ...this.#current, ...issued };
        await store.save(next);
        this.#current = next;
        this.#renewAt = renewalDeadline(next.certPem, this.#setup.random);
        this.client.setCredentials(toClientCredentials(next));
        log?.info("rotated the node client certificate", { renewAt: this.#renewAt.toISOString() });
        for (const listener of this.#listeners) listener(next);
        return;
      } catch (error) {
        lastError = error;
        if (!isUnreachable(error)) throw error;
      }
    }
    throw lastError;
  }
}

function storeFor(options: { dataDir?: string; store?: CredentialStore }): CredentialStore {
  if (options.store) return options.store;
  return options.dataDir ? fileCredentialStore(options.dataDir) : memoryCredentialStore();
}

function toClientCredentials(credentials: StoredCredentials) {
  return { ca: credentials.caPem, cert: credentials.certPem, key: credentials.keyPem };
}

function renewOverMutualTls(options: NodeCredentialsOptions): Renewer {
  return (current, server) =>
    renewClientCertificate({
      server,
      caPem: current.caPem,
      certPem: current.certPem,
      currentKeyPem: current.keyPem,
      nodeName: options.nodeName,
      timeoutMs: 10 * 60_000,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
}

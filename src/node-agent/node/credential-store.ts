import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeNodeKubeconfig } from "../../auth/join/join.ts";
import { parseKubeConfig } from "../../client/kube-config.ts";

/** A node's client credentials: the server it joined, the cluster CA, its certificate and key. */
export interface StoredCredentials {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface CredentialStore {
  /** Undefined when nothing (readable) is kept. */
  load(): Promise<StoredCredentials | undefined>;
  save(credentials: StoredCredentials): Promise<void>;
  /** Where they are kept, for messages. */
  readonly location: string;
}

/** The kubeconfig a node's credentials are kept in, inside its data directory. */
export function nodeKubeconfigPath(dataDir: string): string {
  return join(dataDir, "node.kubeconfig");
}

/**
 * Credentials kept as one kubeconfig (0600) in the data directory: written
 * atomically, so CA, certificate and key never disagree after a crash, and
 * usable as it is with `kubectl --kubeconfig` to act as the node.
 */
export function fileCredentialStore(dataDir: string): CredentialStore {
  const path = nodeKubeconfigPath(dataDir);
  return {
    location: path,
    async load() {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
      const config = parseKubeConfig(text);
      if (!config.ca || !config.cert || !config.key) return undefined;
      return { server: config.server, caPem: config.ca, certPem: config.cert, keyPem: config.key };
    },
    async save(credentials) {
      await writeNodeKubeconfig(path, {
        server: credentials.server,
        caPem: credentials.caPem,
        certPem: credentials.certPem,
        keyPem: credentials.keyPem,
        user: "node",
      });
    },
  };
}

/** Credentials that live as long as the process (hollow nodes). */
export function memoryCredentialStore(): CredentialStore {
  let kept: StoredCredentials | undefined;
  return {
    location: "memory",
    load: async () => kept,
    save: async (credentials) => {
      kept = credentials;
    },
  };
}

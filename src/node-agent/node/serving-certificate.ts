import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as x509 from "@peculiar/x509";
import { renewalDeadline } from "../../auth/join/join.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { CertificateAuthority } from "../../tls/certificate-authority.ts";
import { canonicalIp } from "../../tls/ip-address.ts";
import {
  certificateInfo,
  certifiesNode,
  NODE_USER_PREFIX,
  NODES_GROUP,
} from "./certificate-info.ts";
import { CertificateRotation } from "./certificate-rotation.ts";
import { requestCertificate } from "./csr-wait.ts";
import type { NodeClient } from "./node-client.ts";

export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export interface ServingNames {
  nodeName: string;
  ipAddresses: readonly string[];
  dnsNames: readonly string[];
}

/** How a serving certificate is obtained: a CSR the cluster approves, or the CA itself. */
export type ServingIssuer = (names: ServingNames) => Promise<KeyPair>;

/** A kubelet-serving CSR: CN system:node:<name>, O system:nodes, the node's IPs and names. */
export async function createServingCsr(
  names: ServingNames,
): Promise<{ csrPem: string; keyPem: string; usages: string[] }> {
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ O: [NODES_GROUP] }, { CN: [NODE_USER_PREFIX + names.nodeName] }],
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        ...names.dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...names.ipAddresses.map((value) => ({ type: "ip" as const, value: canonicalIp(value) })),
      ]),
    ],
  });
  const der = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    csrPem: csr.toString("pem"),
    keyPem: x509.PemConverter.encode(der, "PRIVATE KEY"),
    // An EC key: no key encipherment (the approver accepts either set).
    usages: ["digital signature", "server auth"],
  };
}

/** Serving certificates through kubernetes.io/kubelet-serving CSRs, approved by the cluster. */
export function csrServingIssuer(
  client: NodeClient,
  options: { timeoutMs?: number; onProgress?: (message: string) => void } = {},
): ServingIssuer {
  return async (names) => {
    const csr = await createServingCsr(names);
    const object: KubeObject = {
      apiVersion: "certificates.k8s.io/v1",
      kind: "CertificateSigningRequest",
      metadata: { generateName: "csr-" },
      spec: {
        request: Buffer.from(csr.csrPem, "utf8").toString("base64"),
        signerName: KUBELET_SERVING_SIGNER,
        usages: csr.usages,
      },
    };
    const issued = await requestCertificate(client, object, {
      timeoutMs: options.timeoutMs ?? 10 * 60_000,
    });
    options.onProgress?.(`serving certificate issued (CertificateSigningRequest ${issued.name})`);
    return { certPem: issued.certPem, keyPem: csr.keyPem };
  };
}

/** Serving certificates issued by the cluster CA directly (an agent inside `kubun server`). */
export function caServingIssuer(ca: CertificateAuthority, validityDays = 365): ServingIssuer {
  return async (names) => {
    const issued = await ca.issue({
      commonName: NODE_USER_PREFIX + names.nodeName,
      organizations: [NODES_GROUP],
      dnsNames: names.dnsNames,
      ipAddresses: names.ipAddresses,
      usages: ["serverAuth"],
      validityDays,
    });
    return { certPem: issued.certPem, keyPem: issued.keyPem ?? "" };
  };
}

export interface ServingCertificateOptions extends ServingNames {
  issuer: ServingIssuer;
  /** Keeps the pair in <dataDir>/pki/serving.pem (0600); in memory without it. */
  dataDir?: string;
  log?: Logger;
  random?: () => number;
  now?: () => Date;
}

/** Whether a kept pair still serves these names: right node, every name, not expired. */
export function servesNames(certPem: string, names: ServingNames, now: Date): boolean {
  const info = certificateInfo(certPem);
  if (!info || !certifiesNode(info, names.nodeName) || now >= info.notAfter) return false;
  const ips = new Set(info.ipAddresses);
  const dns = new Set(info.dnsNames.map((name) => name.toLowerCase()));
  return (
    names.ipAddresses.every((ip) => ips.has(canonicalIp(ip))) &&
    names.dnsNames.every((name) => dns.has(name.toLowerCase()))
  );
}

/**
 * The agent's HTTPS serving certificate: kept in the data directory, reused
 * while it names this node's addresses, requested once the Node exists (the
 * approver checks the SANs against the Node's addresses), and rotated like
 * the client certificate; the server swaps it in through `onRotated`.
 */
export class ServingCertificate {
  readonly #options: ServingCertificateOptions;
  readonly #path: string | undefined;
  readonly #rotation: CertificateRotation;
  readonly #listeners = new Set<(pair: KeyPair) => void>();
  #current: KeyPair | undefined;
  #renewAt = new Date(0);

  constructor(options: ServingCertificateOptions) {
    this.#options = options;
    this.#path = options.dataDir ? join(options.dataDir, "pki", "serving.pem") : undefined;
    this.#rotation = new CertificateRotation({
      renewAt: () => this.#renewAt,
      rotate: async () => {
        await this.#issue();
      },
      onError: (error, failures) =>
        options.log?.warn("renewing the serving certificate failed; retrying", { error, failures }),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  current(): KeyPair | undefined {
    return this.#current;
  }

  onRotated(listener: (pair: KeyPair) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The kept pair when it still fits, else a new one. */
  async obtain(): Promise<KeyPair> {
    const kept = await this.#load();
    if (kept && servesNames(kept.certPem, this.#options, this.#now())) {
      this.#use(kept);
      return kept;
    }
    return this.#issue();
  }

  /** Renews in the background from here on (call after `obtain`). */
  startRotation(): void {
    this.#rotation.start();
  }

  async stop(): Promise<void> {
    await this.#rotation.stop();
  }

  async #issue(): Promise<KeyPair> {
    const pair = normalized(await this.#options.issuer(this.#options));
    await this.#save(pair);
    this.#use(pair);
    for (const listener of this.#listeners) listener(pair);
    return pair;
  }

  #use(pair: KeyPair): void {
    this.#current = pair;
    this.#renewAt = renewalDeadline(pair.certPem, this.#options.random);
  }

  async #load(): Promise<KeyPair | undefined> {
    if (!this.#path) return this.#current;
    let text: string;
    try {
      text = await readFile(this.#path, "utf8");
    } catch {
      return undefined;
    }
    const blocks = text.match(/-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----\n?/g) ?? [];
    const certPem = blocks.find((block) => block.includes("CERTIFICATE"));
    const keyPem = blocks.find((block) => block.includes("PRIVATE KEY"));
    return certPem && keyPem ? normalized({ certPem, keyPem }) : undefined;
  }

  // Certificate and key in one file, replaced atomically, so they always belong together.
  async #save(pair: KeyPair): Promise<void> {
    if (!this.#path) return;
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    const temporary = `${this.#path}.${randomUUID()}.tmp`;
    const text = `${pair.certPem}${pair.keyPem}`;
    try {
      await writeFile(temporary, text, { mode: 0o600, flag: "wx" });
      await chmod(temporary, 0o600);
      await rename(temporary, this.#path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/** PEM text ending in one newline, so a pair read back equals the one written. */
function normalized(pair: KeyPair): KeyPair {
  return { certPem: `${pair.certPem.trim()}\n`, keyPem: `${pair.keyPem.trim()}\n` };
}

import "reflect-metadata";
import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from "node:crypto";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as x509 from "@peculiar/x509";
import { ApiClient } from "../../client/api-client.ts";
import { ApiError } from "../../client/api-error.ts";
import type { ClientConfig } from "../../client/kube-config.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { buildKubeconfig } from "../../tls/kubeconfig.ts";
import { identityFromCertificate } from "../../tls/peer-certificate.ts";

export {
  type DiscoverClusterOptions,
  type DiscoveredCluster,
  discoverCluster,
  type FetchLike,
} from "./discovery.ts";

/** The signer of kubelet client certificates (system:node:<name> in system:nodes). */
export const KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
const CSR_COLLECTION = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
const NODE_USER_PREFIX = "system:node:";
// The kubelet waits this long for its bootstrap certificate.
const DEFAULT_TIMEOUT_MS = 3600 * 1000;
const RETRY_MS = 1000;

export interface NodeCsr {
  /** PKCS#10, PEM. */
  csrPem: string;
  /** The private key, PKCS#8 PEM (as given, when one was). */
  keyPem: string;
  /** certificates.k8s.io usages matching the key type. */
  usages: string[];
}

interface CertificateRequestOptions {
  server: string;
  /** The cluster CA (from `discoverCluster`). */
  caPem: string;
  /** Key to certify (PKCS#8, SEC1 or PKCS#1 PEM); a P-256 key is generated when absent. */
  keyPem?: string;
  /** Defaults to kubernetes.io/kube-apiserver-client-kubelet. */
  signerName?: string;
  /** Requested certificate lifetime (the signer may shorten it; at least 600). */
  expirationSeconds?: number;
  /** Give up after this long (default one hour, like the kubelet). */
  timeoutMs?: number;
  onProgress?: (message: string) => void;
}

export interface RequestClientCertificateOptions extends CertificateRequestOptions {
  /** The bootstrap token the request authenticates with. */
  token: string;
  nodeName: string;
}

export interface RenewClientCertificateOptions extends CertificateRequestOptions {
  /** The current client certificate and its key: they authenticate the request. */
  certPem: string;
  currentKeyPem: string;
  /** Defaults to the name in the current certificate (CN system:node:<name>). */
  nodeName?: string;
}

export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

export interface NodeKubeconfigOptions {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** The kubeconfig user entry's name. */
  user: string;
}

/**
 * The kubelet's TLS bootstrap: posts a CSR for system:node:<nodeName>
 * (O=system:nodes) authenticated with the bootstrap token, and waits for it to
 * be approved and signed.
 */
export async function requestClientCertificate(
  options: RequestClientCertificateOptions,
): Promise<ClientCertificate> {
  const client = new ApiClient({
    server: trimmed(options.server),
    ca: options.caPem,
    token: options.token,
  });
  return obtainCertificate(client, options.nodeName, options);
}

/**
 * Certificate rotation: the same request with a fresh key (unless `keyPem` is
 * given), authenticated by the current certificate over mutual TLS.
 */
export async function renewClientCertificate(
  options: RenewClientCertificateOptions,
): Promise<ClientCertificate> {
  const nodeName = options.nodeName ?? nodeNameOf(options.certPem);
  const config: ClientConfig = {
    server: trimmed(options.server),
    ca: options.caPem,
    cert: options.certPem,
    key: options.currentKeyPem,
  };
  return obtainCertificate(new ApiClient(config), nodeName, options);
}

/** A CSR for a node client certificate, with a new P-256 key unless one is given. */
export async function createNodeCsr(nodeName: string, keyPem?: string): Promise<NodeCsr> {
  if (nodeName === "") throw new Error("nodeName must not be empty");
  const key = await loadKey(keyPem);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    // Go's pkix.Name order: O before CN.
    name: [{ O: ["system:nodes"] }, { CN: [NODE_USER_PREFIX + nodeName] }],
    keys: key.keys,
    signingAlgorithm: key.signingAlgorithm,
  });
  // Key encipherment only means something for RSA key transport.
  const usages = key.rsa
    ? ["digital signature", "key encipherment", "client auth"]
    : ["digital signature", "client auth"];
  return { csrPem: csr.toString("pem"), keyPem: key.pem, usages };
}

/**
 * When to rotate a certificate: at a random point 70–90 % into its lifetime,
 * as the kubelet does, so that nodes joined together do not all renew at once.
 * `random` is Math.random's range [0, 1).
 */
export function renewalDeadline(certPem: string, random: () => number = Math.random): Date {
  const certificate = new x509.X509Certificate(certPem);
  const start = certificate.notBefore.getTime();
  const lifetime = certificate.notAfter.getTime() - start;
  return new Date(start + lifetime * (0.7 + 0.2 * random()));
}

/** Whether `now` is past the certificate's (jittered) renewal deadline. */
export function needsRenewal(
  certPem: string,
  now: Date = new Date(),
  random: () => number = Math.random,
): boolean {
  return now.getTime() >= renewalDeadline(certPem, random).getTime();
}

/** Writes a kubeconfig with the node's credentials, atomically and owner-only (it holds a key). */
export async function writeNodeKubeconfig(
  path: string,
  options: NodeKubeconfigOptions,
): Promise<void> {
  const text = buildKubeconfig({
    server: options.server,
    caPem: options.caPem,
    userName: options.user,
    clientCertPem: options.certPem,
    clientKeyPem: options.keyPem,
  });
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: "wx" });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function obtainCertificate(
  client: ApiClient,
  nodeName: string,
  options: CertificateRequestOptions,
): Promise<ClientCertificate> {
  const report = options.onProgress ?? (() => {});
  const csr = await createNodeCsr(nodeName, options.keyPem);
  const created = await client.create(CSR_COLLECTION, csrObject(csr, options));
  const name = created.metadata?.name ?? "";
  const uid = created.metadata?.uid ?? "";
  report(`created CertificateSigningRequest ${name}; waiting for it to be approved and signed`);
  const certPem = await waitForCertificate(
    client,
    name,
    uid,
    options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    report,
  );
  checkCertifiesKey(certPem, csr.csrPem);
  report(`CertificateSigningRequest ${name} was signed`);
  return { certPem, keyPem: csr.keyPem };
}

function csrObject(csr: NodeCsr, options: CertificateRequestOptions): KubeObject {
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { generateName: "node-csr-" },
    spec: {
      request: Buffer.from(csr.csrPem, "utf8").toString("base64"),
      signerName: options.signerName ?? KUBELET_CLIENT_SIGNER,
      usages: csr.usages,
      ...(options.expirationSeconds === undefined
        ? {}
        : { expirationSeconds: options.expirationSeconds }),
    },
  };
}

type CsrState = { certPem: string } | { approved: boolean };

/** The CSR's own outcome (denied, failed, deleted, replaced): waiting longer cannot help. */
class CsrRejected extends Error {}

interface CsrCondition {
  type?: string;
  reason?: string;
  message?: string;
}

// Issued, still pending, or an error for a denied/failed/replaced request.
function csrState(csr: KubeObject, name: string, uid: string): CsrState {
  if (csr.metadata?.uid !== uid)
    throw new CsrRejected(`certificate signing request ${name} changed UIDs`);
  const status = (csr.status ?? {}) as { conditions?: CsrCondition[]; certificate?: string };
  let approved = false;
  for (const condition of status.conditions ?? []) {
    const why = `reason: ${condition.reason ?? ""}, message: ${condition.message ?? ""}`;
    if (condition.type === "Denied") {
      throw new CsrRejected(`certificate signing request ${name} is denied, ${why}`);
    }
    if (condition.type === "Failed") {
      throw new CsrRejected(`certificate signing request ${name} failed, ${why}`);
    }
    if (condition.type === "Approved") approved = true;
  }
  if (approved && status.certificate) {
    return { certPem: Buffer.from(status.certificate, "base64").toString("utf8") };
  }
  return { approved };
}

/**
 * Follows the CSR until it is signed: a get for the current state, then a
 * watch from there; when the watch ends or breaks, the same again after a
 * pause. Errors that retrying cannot fix (denied, deleted, forbidden) end it.
 */
async function waitForCertificate(
  client: ApiClient,
  name: string,
  uid: string,
  timeoutMs: number,
  report: (message: string) => void,
): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const { signal } = controller;
  let reportedApproval = false;
  const settle = (csr: KubeObject): string | undefined => {
    const state = csrState(csr, name, uid);
    if ("certPem" in state) return state.certPem;
    if (state.approved && !reportedApproval) {
      reportedApproval = true;
      report(`CertificateSigningRequest ${name} is approved, waiting for it to be signed`);
    }
    return undefined;
  };
  try {
    while (!signal.aborted) {
      try {
        const issued = await followOnce(client, name, signal, settle);
        if (issued !== undefined) return issued;
      } catch (error) {
        if (signal.aborted) break;
        if (fatal(error)) throw error;
        report(`waiting for CertificateSigningRequest ${name}: ${(error as Error).message}`);
      }
      await sleep(RETRY_MS, signal);
    }
    throw new Error(
      `timed out after ${Math.round(timeoutMs / 1000)}s waiting for CertificateSigningRequest ${name} to be approved and signed`,
    );
  } finally {
    clearTimeout(timer);
  }
}

async function followOnce(
  client: ApiClient,
  name: string,
  signal: AbortSignal,
  settle: (csr: KubeObject) => string | undefined,
): Promise<string | undefined> {
  const current = await client.get(`${CSR_COLLECTION}/${encodeURIComponent(name)}`, signal);
  const issued = settle(current);
  if (issued !== undefined) return issued;
  const events = client.watch(CSR_COLLECTION, {
    fieldSelector: `metadata.name=${name}`,
    resourceVersion: current.metadata?.resourceVersion,
    signal,
  });
  for await (const event of events) {
    if (event.type === "ERROR") return undefined;
    if (event.type === "DELETED")
      throw new CsrRejected(`certificate signing request ${name} was deleted`);
    if (event.type === "BOOKMARK") continue;
    const result = settle(event.object);
    if (result !== undefined) return result;
  }
  return undefined;
}

// Client errors will not change by waiting, except throttling and an expired watch
// position; network failures and server errors may.
function fatal(error: unknown): boolean {
  if (error instanceof CsrRejected) return true;
  if (error instanceof ApiError) {
    return error.code >= 400 && error.code < 500 && error.code !== 410 && error.code !== 429;
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

// The signer could hand back anything; a certificate for another key is useless with ours.
function checkCertifiesKey(certPem: string, csrPem: string): void {
  const certificate = new x509.X509Certificate(certPem);
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const a = new Uint8Array(certificate.publicKey.rawData);
  const b = new Uint8Array(csr.publicKey.rawData);
  if (a.length !== b.length || a.some((byte, i) => byte !== b[i])) {
    throw new Error("the issued certificate does not certify the requested key");
  }
}

function nodeNameOf(certPem: string): string {
  const { user } = identityFromCertificate(certPem);
  if (!user.startsWith(NODE_USER_PREFIX) || user === NODE_USER_PREFIX) {
    throw new Error(`the current certificate is for "${user}", not a node (system:node:<name>)`);
  }
  return user.slice(NODE_USER_PREFIX.length);
}

interface LoadedKey {
  keys: CryptoKeyPair;
  pem: string;
  rsa: boolean;
  signingAlgorithm: x509.Pkcs10CertificateRequestCreateParams["signingAlgorithm"];
}

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: "P-256", hash: "SHA-256" },
  secp384r1: { namedCurve: "P-384", hash: "SHA-384" },
  secp521r1: { namedCurve: "P-521", hash: "SHA-512" },
};

async function loadKey(keyPem: string | undefined): Promise<LoadedKey> {
  if (keyPem === undefined) {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const der = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
    const pem = x509.PemConverter.encode(der, "PRIVATE KEY");
    return { keys, pem, rsa: false, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } };
  }
  return { ...(await importKey(createPrivateKey(keyPem))), pem: keyPem };
}

// node:crypto reads every PEM flavour; Web Crypto (which x509 signs with) wants PKCS#8 and SPKI.
async function importKey(key: KeyObject): Promise<Omit<LoadedKey, "pem">> {
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  if (key.asymmetricKeyType === "rsa") {
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return {
      keys: await importPair(pkcs8, spki, algorithm),
      rsa: true,
      signingAlgorithm: algorithm,
    };
  }
  const curve = CURVES[String(key.asymmetricKeyDetails?.namedCurve)];
  if (key.asymmetricKeyType !== "ec" || curve === undefined) {
    throw new Error(
      `unsupported node key type ${key.asymmetricKeyType ?? "unknown"}; use ECDSA or RSA`,
    );
  }
  return {
    keys: await importPair(pkcs8, spki, { name: "ECDSA", namedCurve: curve.namedCurve }),
    rsa: false,
    signingAlgorithm: { name: "ECDSA", hash: curve.hash },
  };
}

async function importPair(
  pkcs8: Buffer,
  spki: Buffer,
  algorithm: Parameters<typeof crypto.subtle.importKey>[2],
): Promise<CryptoKeyPair> {
  const [privateKey, publicKey] = await Promise.all([
    crypto.subtle.importKey("pkcs8", new Uint8Array(pkcs8), algorithm, true, ["sign"]),
    crypto.subtle.importKey("spki", new Uint8Array(spki), algorithm, true, ["verify"]),
  ]);
  return { privateKey, publicKey };
}

function trimmed(server: string): string {
  return server.replace(/\/+$/, "");
}

import { KeyExistsError } from "../store/errors.ts";
import type { RevisionStore } from "../store/revision-store.ts";
import { CertificateAuthority } from "./certificate-authority.ts";

/**
 * What every server of a cluster must share: the CA, the service-account signing
 * key pair and the key that encrypts Secrets at rest.
 */
export interface BootstrapData {
  caCertPem: string;
  caKeyPem: string;
  /** ECDSA P-256, PKCS#8 PEM. */
  serviceAccountKeyPem: string;
  /** SPKI PEM. */
  serviceAccountPublicPem: string;
  /** 32 random bytes, base64: AES-256-GCM for Secrets. */
  encryptionKey: string;
}

interface Sealed {
  format: "kubun-bootstrap/v1";
  iterations: number;
  salt: string;
  iv: string;
  ciphertext: string;
}

/** Outside /registry: no resource's watch or list ever sees it. */
export const bootstrapKey = "/kubun/bootstrap";
const ITERATIONS = 100_000;

export class WrongTokenError extends Error {
  constructor() {
    super(
      "the server token does not open this datastore's cluster data: start with --token set " +
        "to the token of the server that created the cluster (its <data-dir>/token)",
    );
    this.name = "WrongTokenError";
  }
}

/**
 * Loads the cluster's bootstrap data from the store, decrypting it with the
 * server token; the first server of a cluster creates it (from `seed`, which may
 * reuse a CA found on disk) with a compare-and-swap create, so two servers
 * starting together still end up with one CA.
 */
export async function loadOrCreateBootstrapData(
  store: RevisionStore,
  token: string,
  seed: () => Promise<BootstrapData>,
): Promise<{ data: BootstrapData; created: boolean }> {
  const existing = await store.get(bootstrapKey);
  if (existing) return { data: await open(existing.value, token), created: false };
  const data = await seed();
  try {
    await store.create(bootstrapKey, JSON.stringify(await seal(data, token)));
    return { data, created: true };
  } catch (error) {
    if (!(error instanceof KeyExistsError)) throw error;
    const winner = await store.get(bootstrapKey);
    if (!winner) throw error;
    return { data: await open(winner.value, token), created: false };
  }
}

/** Fresh bootstrap data, keeping `ca` when given (a cluster that predates the stored copy). */
export async function newBootstrapData(ca?: CertificateAuthority): Promise<BootstrapData> {
  const authority = ca ?? (await CertificateAuthority.create({ commonName: "kubun-ca" }));
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  return {
    caCertPem: authority.certPem,
    caKeyPem: authority.keyPem,
    serviceAccountKeyPem: pem(
      "PRIVATE KEY",
      await crypto.subtle.exportKey("pkcs8", keys.privateKey),
    ),
    serviceAccountPublicPem: pem(
      "PUBLIC KEY",
      await crypto.subtle.exportKey("spki", keys.publicKey),
    ),
    encryptionKey: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
  };
}

/** A random server token, as the first start generates it. */
export function generateServerToken(): string {
  // Hex, not base64url: a token starting with "-" would read as a flag after --token.
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
}

async function deriveKey(token: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(token),
    "PBKDF2",
    false,
    ["deriveKey"],
  );
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

async function seal(data: BootstrapData, token: string): Promise<Sealed> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await deriveKey(token, salt, ITERATIONS);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    key,
    new TextEncoder().encode(JSON.stringify(data)),
  );
  return {
    format: "kubun-bootstrap/v1",
    iterations: ITERATIONS,
    salt: Buffer.from(salt).toString("base64"),
    iv: Buffer.from(iv).toString("base64"),
    ciphertext: Buffer.from(ciphertext).toString("base64"),
  };
}

async function open(value: string, token: string): Promise<BootstrapData> {
  const sealed = JSON.parse(value) as Sealed;
  if (sealed.format !== "kubun-bootstrap/v1")
    throw new Error(`unknown cluster bootstrap data format "${sealed.format}"`);
  const key = await deriveKey(token, Buffer.from(sealed.salt, "base64"), sealed.iterations);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: Buffer.from(sealed.iv, "base64") },
      key,
      Buffer.from(sealed.ciphertext, "base64"),
    );
  } catch {
    // AES-GCM authenticates: any other token fails here rather than yielding garbage.
    throw new WrongTokenError();
  }
  return JSON.parse(new TextDecoder().decode(plain)) as BootstrapData;
}

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

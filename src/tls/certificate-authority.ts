import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { canonicalIp } from "./ip-address.ts";
import { importPrivateKey, signingKeyAlgorithm } from "./private-key.ts";
import { readSubjectAltNames } from "./subject-alt-names.ts";

/** Extended key usages kubun issues: API server and node serving, and client authentication. */
export type ExtendedUsage = "serverAuth" | "clientAuth";

/** A subject public key: a Web Crypto key, or an SPKI as PEM ("PUBLIC KEY") or DER. */
export type SubjectPublicKey = CryptoKey | string | ArrayBuffer | Uint8Array;

export interface IssueRequest {
  commonName: string;
  organizations?: readonly string[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  usages: readonly ExtendedUsage[];
  validityDays: number;
  /** Certify this key (e.g. from a CSR); without it a P-256 key pair is generated and returned. */
  publicKey?: SubjectPublicKey;
}

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM; present only when `issue` generated the key pair. */
  keyPem?: string;
}

export interface SignCsrOptions {
  usages: readonly ExtendedUsage[];
  validityDays: number;
  /** Overrides the CSR's subject CN. */
  commonName?: string;
  /** Overrides the CSR's subject O values. */
  organizations?: readonly string[];
}

const EC_KEY = { name: "ECDSA", namedCurve: "P-256" };
const CA_VALIDITY_DAYS = 3650;
// Certificates start a little in the past so that a peer whose clock lags ours
// (another server of an HA trio, a joining node) does not reject them as not yet valid.
const BACKDATE_MS = 5 * 60 * 1000;
const SHORT_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const USAGE_OIDS: Record<ExtendedUsage, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

/**
 * The cluster certificate authority: a self-signed CA certificate and its
 * private key, issuing serving and client certificates and signing CSRs.
 *
 * Instances are immutable; the private key never leaves except through
 * `keyPem`, which callers must store with owner-only permissions.
 */
export class CertificateAuthority {
  private constructor(
    private readonly certificate: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
    /** The CA certificate, PEM. */
    readonly certPem: string,
    /** The CA private key, PKCS#8 PEM. */
    readonly keyPem: string,
  ) {}

  /** A new CA: ECDSA P-256, valid 10 years, CA:true, keyCertSign and cRLSign. */
  static async create({ commonName }: { commonName: string }): Promise<CertificateAuthority> {
    requireText(commonName, "commonName");
    const keys = await generateKeyPair();
    const notBefore = new Date(Date.now() - BACKDATE_MS);
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      name: [{ CN: [commonName] }],
      keys,
      notBefore,
      notAfter: new Date(notBefore.getTime() + CA_VALIDITY_DAYS * DAY_MS),
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(
      certificate,
      keys.privateKey,
      certificate.toString("pem"),
      await privateKeyPem(keys.privateKey),
    );
  }

  /**
   * Loads a CA from its certificate and PKCS#8 key. Throws when the certificate
   * is not a CA or the key does not belong to it.
   */
  static async fromPem(certPem: string, keyPem: string): Promise<CertificateAuthority> {
    const certificate = new x509.X509Certificate(certPem);
    const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
    if (!constraints?.ca) {
      throw new Error(
        `certificate "${certificate.subject}" is not a CA (basicConstraints CA:false)`,
      );
    }
    const signingKey = await importPrivateKey(keyPem, certificate.publicKey);
    return new CertificateAuthority(
      certificate,
      signingKey,
      certificate.toString("pem"),
      await privateKeyPem(signingKey),
    );
  }

  /** The CA certificate's subject, e.g. "CN=kubun-ca". */
  get subject(): string {
    return this.certificate.subject;
  }

  get notAfter(): Date {
    return this.certificate.notAfter;
  }

  /**
   * Issues a leaf certificate (CA:false, digitalSignature, the given extended
   * usages). IP addresses are validated; DNS names are taken as given.
   */
  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    requireText(request.commonName, "commonName");
    if (request.usages.length === 0) throw new Error("at least one usage is required");
    if (!(request.validityDays > 0)) throw new Error("validityDays must be positive");
    const keys = request.publicKey === undefined ? await generateKeyPair() : undefined;
    const publicKey = await toPublicKey(keys?.publicKey ?? request.publicKey);
    // The lifetime counts from now; as upstream's signer, only certificates of
    // 8 hours or more are backdated (a short one keeps exactly its lifetime).
    const now = Date.now();
    const lifetimeMs = request.validityDays * DAY_MS;
    const notBefore = new Date(lifetimeMs >= SHORT_MS ? now - BACKDATE_MS : now);
    const certificate = await x509.X509CertificateGenerator.create({
      subject: subjectName(request.commonName, request.organizations ?? []),
      issuer: this.certificate.subjectName,
      publicKey,
      signingKey: this.signingKey,
      signingAlgorithm: { name: this.signingKey.algorithm.name, hash: "SHA-256" },
      notBefore,
      notAfter: new Date(now + lifetimeMs),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(leafKeyUsages(publicKey), true),
        new x509.ExtendedKeyUsageExtension(
          request.usages.map((usage) => USAGE_OIDS[usage]),
          false,
        ),
        await this.authorityKeyIdentifier(),
        ...subjectAltNameExtensions(request.dnsNames ?? [], request.ipAddresses ?? []),
      ],
    });
    const certPem = certificate.toString("pem");
    return keys === undefined
      ? { certPem }
      : { certPem, keyPem: await privateKeyPem(keys.privateKey) };
  }

  /**
   * Signs a PKCS#10 CSR after checking its signature (proof that the requester
   * holds the key). Like Kubernetes' CSR signer, the subject and the DNS/IP
   * SANs come from the CSR unless overridden, and the usages from the caller;
   * deciding whether the request is acceptable is the approver's job.
   */
  async signCsr(csrPem: string, options: SignCsrOptions): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify()))
      throw new Error("certificate signing request has an invalid signature");
    const commonName = options.commonName ?? csr.subjectName.getField("CN").at(-1);
    if (commonName === undefined) throw new Error("certificate signing request has no common name");
    const sans = readSubjectAltNames(csr.extensions);
    const { certPem } = await this.issue({
      commonName,
      organizations: options.organizations ?? csr.subjectName.getField("O"),
      dnsNames: sans.dnsNames,
      ipAddresses: sans.ipAddresses,
      usages: options.usages,
      validityDays: options.validityDays,
      publicKey: csr.publicKey.rawData,
    });
    return certPem;
  }

  /**
   * "sha256:<hex>" over the CA's DER SubjectPublicKeyInfo: the pin a joining
   * node checks (kubeadm's --discovery-token-ca-cert-hash, RFC 7469 style).
   */
  async publicKeyHash(): Promise<string> {
    const digest = await crypto.subtle.digest("SHA-256", this.certificate.publicKey.rawData);
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    return `sha256:${hex}`;
  }

  /**
   * Whether `certPem` was signed by this CA and is valid at `at`. Anything that
   * does not parse as a certificate is simply not valid.
   */
  async verify(certPem: string, at: Date = new Date()): Promise<boolean> {
    let certificate: x509.X509Certificate;
    try {
      certificate = new x509.X509Certificate(certPem);
    } catch {
      return false;
    }
    if (certificate.issuer !== this.certificate.subject) return false;
    try {
      return await certificate.verify({ publicKey: this.certificate.publicKey, date: at });
    } catch {
      // A signature of a different key type cannot even be decoded: not ours.
      return false;
    }
  }

  private async authorityKeyIdentifier(): Promise<x509.AuthorityKeyIdentifierExtension> {
    const ski = this.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
    if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
    return x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey);
  }
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function toPublicKey(key: SubjectPublicKey | undefined): Promise<x509.PublicKey> {
  if (key === undefined) throw new Error("no public key");
  if (typeof key === "string" || key instanceof ArrayBuffer || key instanceof Uint8Array) {
    return new x509.PublicKey(key);
  }
  return x509.PublicKey.create(key);
}

// Separate RDNs for each O (as `openssl req -subj /O=a/O=b` writes them), CN last,
// the order Go's pkix.Name produces.
function subjectName(commonName: string, organizations: readonly string[]): x509.JsonName {
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

// keyEncipherment only means something for RSA key transport; ECDSA keys only sign.
function leafKeyUsages(publicKey: x509.PublicKey): x509.KeyUsageFlags {
  const isRsa = signingKeyAlgorithm(publicKey).name.startsWith("RSA");
  return isRsa
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
    : x509.KeyUsageFlags.digitalSignature;
}

function subjectAltNameExtensions(
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
): x509.SubjectAlternativeNameExtension[] {
  const names: x509.JsonGeneralName[] = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value: canonicalIp(value) })),
  ];
  return names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names, false)];
}

function requireText(value: string, field: string): void {
  if (typeof value !== "string" || value.trim() === "")
    throw new Error(`${field} must not be empty`);
}

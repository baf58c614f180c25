/**
 * Reading a CertificateSigningRequest for the approving and signing controllers: its
 * spec, its conditions, and the PKCS#10 request inside it (upstream's ParseCSR plus the
 * fields Go's x509.CertificateRequest exposes).
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { resourcePath } from "../client/resource-path.ts";
import type { KubeObject } from "../resources/kind.ts";
import { decodePemBlocks } from "../resources/kinds/certificates/pem.ts";
import { canonicalIp } from "../tls/ip-address.ts";

export const KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
export const KUBE_APISERVER_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client";
export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";
export const NODE_USER_PREFIX = "system:node:";
export const NODES_GROUP = "system:nodes";

/** The collection both CSR controllers watch (one shared informer). */
export const CSR_COLLECTION = resourcePath({
  group: "certificates.k8s.io",
  version: "v1",
  resource: "certificatesigningrequests",
});

export const csrPath = (name: string): string =>
  resourcePath({
    group: "certificates.k8s.io",
    version: "v1",
    resource: "certificatesigningrequests",
    name,
  });

/** The spec fields the controllers read, with absent values normalised. */
export interface CsrSpec {
  /** base64 of the PEM text, as in the API. */
  request: string;
  signerName: string;
  usages: string[];
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
  expirationSeconds: number | undefined;
}

export interface ParsedRequest {
  request: x509.Pkcs10CertificateRequest;
  /** The last CN, as Go's pkix.Name keeps it; "" when there is none. */
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  /** In canonicalIp form. */
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
}

export interface CsrCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
}

export function csrSpec(csr: KubeObject): CsrSpec {
  const spec = (csr.spec ?? {}) as Record<string, unknown>;
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const extra: Record<string, string[]> = {};
  if (typeof spec.extra === "object" && spec.extra !== null) {
    for (const [key, value] of Object.entries(spec.extra)) extra[key] = strings(value);
  }
  return {
    request: text(spec.request),
    signerName: text(spec.signerName),
    usages: strings(spec.usages),
    username: text(spec.username),
    uid: text(spec.uid),
    groups: strings(spec.groups),
    extra,
    expirationSeconds:
      typeof spec.expirationSeconds === "number" ? spec.expirationSeconds : undefined,
  };
}

/** Parses `spec.request`; throws with upstream's message when it is not one PKCS#10 block. */
export function parseCertificateRequest(request: string): ParsedRequest {
  const pem = Buffer.from(request, "base64").toString("utf8");
  const block = decodePemBlocks(pem)[0];
  if (block?.type !== "CERTIFICATE REQUEST" || block.bytes === undefined) {
    throw new Error("PEM block type must be CERTIFICATE REQUEST");
  }
  const csr = new x509.Pkcs10CertificateRequest(block.bytes);
  const parsed: ParsedRequest = {
    request: csr,
    commonName: csr.subjectName.getField("CN").at(-1) ?? "",
    organizations: csr.subjectName.getField("O"),
    dnsNames: [],
    ipAddresses: [],
    emailAddresses: [],
    uris: [],
  };
  for (const extension of csr.extensions) {
    if (extension.type !== SAN_OID) continue;
    // A CSR's extensions come back generic: re-read the SAN from its DER.
    for (const name of new x509.SubjectAlternativeNameExtension(extension.rawData).names.items) {
      if (name.type === "dns") parsed.dnsNames.push(name.value);
      else if (name.type === "ip") parsed.ipAddresses.push(canonicalIp(name.value));
      else if (name.type === "email") parsed.emailAddresses.push(name.value);
      else if (name.type === "url") parsed.uris.push(name.value);
    }
  }
  return parsed;
}

export function csrConditions(csr: KubeObject): CsrCondition[] {
  const conditions = (csr.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as CsrCondition[]) : [];
}

/** Whether a condition of `type` is present; Approved, Denied and Failed can only be True. */
export function hasCondition(csr: KubeObject, type: string): boolean {
  return csrConditions(csr).some((c) => c.type === type && c.status === "True");
}

export function hasCertificate(csr: KubeObject): boolean {
  const certificate = (csr.status as { certificate?: unknown } | undefined)?.certificate;
  return typeof certificate === "string" && certificate.length > 0;
}

/** A copy of `csr` with one more True condition stamped now; the cached object stays as it is. */
export function withCondition(
  csr: KubeObject,
  condition: { type: string; reason: string; message: string },
  now: Date,
): KubeObject {
  const copy = structuredClone(csr);
  const status = (copy.status ?? {}) as { conditions?: CsrCondition[] };
  status.conditions = [
    ...csrConditions(copy),
    { ...condition, status: "True", lastUpdateTime: `${now.toISOString().slice(0, 19)}Z` },
  ];
  copy.status = status;
  return copy;
}

const SAN_OID = "2.5.29.17";

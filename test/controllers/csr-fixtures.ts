import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { KubeObject } from "../../src/resources/kind.ts";

export interface RequestOptions {
  cn: string;
  o?: string[];
  dns?: string[];
  ips?: string[];
  emails?: string[];
  uris?: string[];
}

const ecdsa = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** A signed PKCS#10 request as `spec.request` carries it: base64 of the PEM text. */
export async function certificateRequest(options: RequestOptions): Promise<string> {
  const keys = (await crypto.subtle.generateKey(ecdsa, true, ["sign", "verify"])) as CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    ...(options.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(options.emails ?? []).map((value) => ({ type: "email" as const, value })),
    ...(options.uris ?? []).map((value) => ({ type: "url" as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [...(options.o ?? []).map((o) => ({ O: [o] })), { CN: [options.cn] }],
    keys,
    signingAlgorithm: ecdsa,
    extensions: names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return btoa(csr.toString("pem"));
}

/** The same request with one bit of its signature flipped. */
export function tamperedSignature(request: string): string {
  const der = new Uint8Array(new x509.Pkcs10CertificateRequest(atob(request)).rawData);
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 1;
  return btoa(x509.PemConverter.encode(der.buffer, "CERTIFICATE REQUEST"));
}

export interface CsrOptions {
  request: string;
  signerName: string;
  usages: string[];
  username: string;
  groups?: string[];
  expirationSeconds?: number;
  conditions?: { type: string; status: string }[];
  certificate?: string;
}

export function csrObject(name: string, options: CsrOptions): KubeObject {
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name, resourceVersion: "5", uid: `uid-${name}` },
    spec: {
      request: options.request,
      signerName: options.signerName,
      usages: options.usages,
      username: options.username,
      groups: options.groups ?? [],
      ...(options.expirationSeconds !== undefined
        ? { expirationSeconds: options.expirationSeconds }
        : {}),
    },
    status: {
      ...(options.conditions ? { conditions: options.conditions } : {}),
      ...(options.certificate ? { certificate: options.certificate } : {}),
    },
  };
}

export const nodeClientUsages = ["digital signature", "client auth"];
export const nodeServingUsages = ["digital signature", "server auth"];

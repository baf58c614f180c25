import "reflect-metadata";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { statSync } from "node:fs";
import * as x509 from "@peculiar/x509";
import {
  createNodeCsr,
  KUBELET_CLIENT_SIGNER,
  needsRenewal,
  renewalDeadline,
  renewClientCertificate,
  requestClientCertificate,
  writeNodeKubeconfig,
} from "../../../src/auth/join/join.ts";
import { loadKubeConfig } from "../../../src/client/kube-config.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";
import { identityFromCertificate } from "../../../src/tls/peer-certificate.ts";
import { openssl, scratchDir } from "../../tls/openssl.ts";
import { FakeApiServer } from "./fake-api-server.ts";

const TOKEN = "abcdef.0123456789abcdef";
const DAY_MS = 24 * 60 * 60 * 1000;

function condition(type: string, reason: string, message = "") {
  return { type, status: "True", reason, message };
}

// The CSR's PKCS#10 (spec.request is base64 PEM).
function requestOf(csr: KubeObject): x509.Pkcs10CertificateRequest {
  const spec = csr.spec as { request: string };
  return new x509.Pkcs10CertificateRequest(Buffer.from(spec.request, "base64").toString());
}

describe("createNodeCsr", () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  test("requests CN=system:node:<name>, O=system:nodes with a new P-256 key", async () => {
    const { csrPem, keyPem, usages } = await createNodeCsr("worker-1");
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(csr.subject).toBe("O=system:nodes, CN=system:node:worker-1");
    expect(await csr.verify()).toBe(true);
    expect(usages).toEqual(["digital signature", "client auth"]);
    // openssl agrees: valid signature, the key in the CSR is the returned key's.
    const csrFile = scratch.file("n.csr", csrPem);
    expect(openssl(["req", "-verify", "-noout", "-in", csrFile])).toBe("");
    const fromKey = openssl(["pkey", "-in", scratch.file("n.key", keyPem), "-pubout"]);
    expect(openssl(["req", "-noout", "-pubkey", "-in", csrFile])).toBe(fromKey);
    expect(openssl(["pkey", "-in", scratch.file("n.key", keyPem), "-noout", "-text"])).toContain(
      "NIST CURVE: P-256",
    );
  });

  test("uses a given key; an RSA key also asks for key encipherment", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyPem = rsa.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const result = await createNodeCsr("worker-2", keyPem);
    expect(result.keyPem).toBe(keyPem);
    expect(result.usages).toEqual(["digital signature", "key encipherment", "client auth"]);
    const csr = new x509.Pkcs10CertificateRequest(result.csrPem);
    const expected = rsa.publicKey.export({ type: "spki", format: "der" });
    expect(Buffer.from(csr.publicKey.rawData).equals(expected)).toBe(true);
    expect(await csr.verify()).toBe(true);
  });
});

describe("requestClientCertificate and renewClientCertificate", () => {
  let ca: CertificateAuthority;
  let server: FakeApiServer | undefined;

  beforeAll(async () => {
    ca = await CertificateAuthority.create({ commonName: "kubun-ca" });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  // Approves, then signs a moment later (as approver and signer are separate controllers).
  const approveAndSign = (name: string, fake: FakeApiServer) => {
    setTimeout(() => {
      fake.update(name, (csr) => {
        csr.status = { conditions: [condition("Approved", "AutoApproved")] };
      });
      setTimeout(async () => {
        const stored = fake.csrs.get(name);
        if (stored === undefined) return;
        const certPem = await ca.signCsr(requestOf(stored).toString("pem"), {
          usages: ["clientAuth"],
          validityDays: 365,
        });
        fake.update(name, (csr) => {
          (csr.status as Record<string, unknown>).certificate =
            Buffer.from(certPem).toString("base64");
        });
      }, 50);
    }, 50);
  };

  test("posts a kubelet CSR with the bootstrap token and returns the signed certificate", async () => {
    server = await FakeApiServer.start({ ca, onCsr: approveAndSign });
    const progress: string[] = [];
    const result = await requestClientCertificate({
      server: server.url,
      caPem: ca.certPem,
      token: TOKEN,
      nodeName: "worker-1",
      expirationSeconds: 86400,
      timeoutMs: 10_000,
      onProgress: (message) => progress.push(message),
    });
    expect(await ca.verify(result.certPem)).toBe(true);
    expect(identityFromCertificate(result.certPem)).toEqual({
      user: "system:node:worker-1",
      groups: ["system:nodes"],
    });
    const post = server.requests.find((r) => r.method === "POST");
    expect(post?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(post?.clientCertificate).toBe(false);
    expect(post?.body).toMatchObject({
      apiVersion: "certificates.k8s.io/v1",
      kind: "CertificateSigningRequest",
      metadata: { generateName: "node-csr-" },
      spec: {
        signerName: KUBELET_CLIENT_SIGNER,
        usages: ["digital signature", "client auth"],
        expirationSeconds: 86400,
      },
    });
    // The certificate is for the key handed back.
    const certKey = new x509.X509Certificate(result.certPem).publicKey.rawData;
    const csr = requestOf(post?.body ?? {});
    expect(Buffer.from(certKey).equals(Buffer.from(csr.publicKey.rawData))).toBe(true);
    expect(result.keyPem).toStartWith("-----BEGIN PRIVATE KEY-----");
    // It followed the CSR with a watch, not only polling.
    expect(server.requests.some((r) => r.watch)).toBe(true);
    expect(progress.some((m) => m.includes("is approved"))).toBe(true);
  });

  test("a denied request fails with the reason", async () => {
    server = await FakeApiServer.start({
      ca,
      onCsr: (name, fake) =>
        setTimeout(() => {
          fake.update(name, (csr) => {
            csr.status = { conditions: [condition("Denied", "NotAllowed", "not a known node")] };
          });
        }, 30),
    });
    await expect(
      requestClientCertificate({
        server: server.url,
        caPem: ca.certPem,
        token: TOKEN,
        nodeName: "rogue",
        timeoutMs: 10_000,
      }),
    ).rejects.toThrow("is denied, reason: NotAllowed, message: not a known node");
  });

  test("gives up after the timeout", async () => {
    server = await FakeApiServer.start({ ca });
    const started = Date.now();
    await expect(
      requestClientCertificate({
        server: server.url,
        caPem: ca.certPem,
        token: TOKEN,
        nodeName: "worker-1",
        timeoutMs: 300,
      }),
    ).rejects.toThrow("timed out");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("renewal authenticates with the current certificate and gets a new key certified", async () => {
    server = await FakeApiServer.start({ ca, onCsr: approveAndSign });
    const current = await ca.issue({
      commonName: "system:node:worker-1",
      organizations: ["system:nodes"],
      usages: ["clientAuth"],
      validityDays: 30,
    });
    const renewed = await renewClientCertificate({
      server: server.url,
      caPem: ca.certPem,
      certPem: current.certPem,
      currentKeyPem: current.keyPem ?? "",
      timeoutMs: 10_000,
    });
    const post = server.requests.find((r) => r.method === "POST");
    expect(post?.clientCertificate).toBe(true);
    expect(post?.authorization).toBeUndefined();
    expect(identityFromCertificate(renewed.certPem).user).toBe("system:node:worker-1");
    expect(renewed.keyPem).not.toBe(current.keyPem);
  });

  test("renewal refuses a certificate that is not a node's", async () => {
    const admin = await ca.issue({ commonName: "admin", usages: ["clientAuth"], validityDays: 1 });
    await expect(
      renewClientCertificate({
        server: "https://127.0.0.1:1",
        caPem: ca.certPem,
        certPem: admin.certPem,
        currentKeyPem: admin.keyPem ?? "",
      }),
    ).rejects.toThrow('"admin", not a node');
  });
});

describe("needsRenewal", () => {
  let certPem: string;
  let notBefore: number;
  let lifetime: number;

  beforeAll(async () => {
    const ca = await CertificateAuthority.create({ commonName: "kubun-ca" });
    certPem = (await ca.issue({ commonName: "n", usages: ["clientAuth"], validityDays: 100 }))
      .certPem;
    const certificate = new x509.X509Certificate(certPem);
    notBefore = certificate.notBefore.getTime();
    lifetime = certificate.notAfter.getTime() - notBefore;
  });

  const atFraction = (fraction: number) => new Date(notBefore + lifetime * fraction);

  test("renews between 70 and 90 % of the lifetime depending on the jitter", () => {
    expect(needsRenewal(certPem, atFraction(0.69), () => 0)).toBe(false);
    expect(needsRenewal(certPem, atFraction(0.71), () => 0)).toBe(true);
    expect(needsRenewal(certPem, atFraction(0.89), () => 0.999)).toBe(false);
    expect(needsRenewal(certPem, atFraction(0.91), () => 0.999)).toBe(true);
    expect(needsRenewal(certPem, new Date(notBefore + DAY_MS))).toBe(false);
    expect(needsRenewal(certPem, atFraction(1.01))).toBe(true);
  });

  test("the deadline is spread over the window", () => {
    const deadlines = Array.from({ length: 200 }, () => renewalDeadline(certPem).getTime());
    const fractions = deadlines.map((d) => (d - notBefore) / lifetime);
    expect(Math.min(...fractions)).toBeGreaterThanOrEqual(0.7);
    expect(Math.max(...fractions)).toBeLessThanOrEqual(0.9);
    expect(Math.max(...fractions) - Math.min(...fractions)).toBeGreaterThan(0.1);
  });
});

describe("writeNodeKubeconfig", () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  test("writes an owner-only kubeconfig the client reads back", async () => {
    const ca = await CertificateAuthority.create({ commonName: "kubun-ca" });
    const issued = await ca.issue({
      commonName: "system:node:n1",
      organizations: ["system:nodes"],
      usages: ["clientAuth"],
      validityDays: 1,
    });
    const path = `${scratch.path}/kubelet/kubeconfig`;
    await writeNodeKubeconfig(path, {
      server: "https://10.0.0.1:6443",
      caPem: ca.certPem,
      certPem: issued.certPem,
      keyPem: issued.keyPem ?? "",
      user: "system:node:n1",
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await loadKubeConfig(path)).toEqual({
      server: "https://10.0.0.1:6443",
      ca: ca.certPem,
      cert: issued.certPem,
      key: issued.keyPem,
    });
  });
});

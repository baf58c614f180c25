import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { identityFromCertificate } from "../../src/tls/peer-certificate.ts";
import { openssl, opensslBytes, scratchDir } from "./openssl.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

describe("CertificateAuthority", () => {
  const scratch = scratchDir();
  let ca: CertificateAuthority;
  let caFile: string;

  beforeAll(async () => {
    ca = await CertificateAuthority.create({ commonName: "kubun-ca" });
    caFile = scratch.file("ca.crt", ca.certPem);
  });
  afterAll(() => scratch.remove());

  test("creates a 10-year P-256 CA with CA:true, keyCertSign, cRLSign and a subject key id", () => {
    const text = openssl(["x509", "-noout", "-text", "-in", caFile]);
    expect(text).toContain("Subject: CN = kubun-ca");
    expect(text).toContain("Issuer: CN = kubun-ca");
    expect(text).toContain("NIST CURVE: P-256");
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(text).toContain("X509v3 Subject Key Identifier:");
    const years = (ca.notAfter.getTime() - Date.now()) / (365 * DAY_MS);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    // Self-signed: openssl accepts it as its own trust anchor.
    expect(openssl(["verify", "-CAfile", caFile, caFile]).trim()).toBe(`${caFile}: OK`);
  });

  test("writes the private key as PKCS#8 that openssl reads", () => {
    expect(ca.keyPem).toStartWith("-----BEGIN PRIVATE KEY-----");
    const keyFile = scratch.file("ca.key", ca.keyPem);
    const fromKey = openssl(["pkey", "-in", keyFile, "-pubout"]);
    const fromCert = openssl(["x509", "-noout", "-pubkey", "-in", caFile]);
    expect(fromKey).toBe(fromCert);
  });

  test("issues a serving certificate openssl verifies, with the SANs and usages asked for", async () => {
    const issued = await ca.issue({
      commonName: "kube-apiserver",
      dnsNames: ["kubernetes.default.svc", "api.example.com"],
      ipAddresses: ["10.96.0.1", "::1"],
      usages: ["serverAuth"],
      validityDays: 365,
    });
    const certFile = scratch.file("serving.crt", issued.certPem);
    expect(openssl(["verify", "-CAfile", caFile, "-purpose", "sslserver", certFile]).trim()).toBe(
      `${certFile}: OK`,
    );
    const text = openssl(["x509", "-noout", "-text", "-in", certFile]);
    expect(text).toContain("Subject: CN = kube-apiserver");
    expect(text).toContain("Issuer: CN = kubun-ca");
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication\n/);
    expect(text).toContain(
      "DNS:kubernetes.default.svc, DNS:api.example.com, IP Address:10.96.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
    expect(text).toContain("X509v3 Authority Key Identifier:");
    // The generated key belongs to the certificate.
    const keyFile = scratch.file("serving.key", issued.keyPem!);
    expect(openssl(["pkey", "-in", keyFile, "-pubout"])).toBe(
      openssl(["x509", "-noout", "-pubkey", "-in", certFile]),
    );
    // Checked against the host names, the way a TLS client would.
    expect(openssl(["x509", "-noout", "-checkhost", "api.example.com", "-in", certFile])).toContain(
      "does match",
    );
    expect(openssl(["x509", "-noout", "-checkip", "10.96.0.1", "-in", certFile])).toContain(
      "does match",
    );
    expect(
      openssl(["x509", "-noout", "-checkhost", "other.example.com", "-in", certFile]),
    ).toContain("does NOT match");
  });

  test("issues a client certificate whose CN and O read back as user and groups", async () => {
    const issued = await ca.issue({
      commonName: "system:node:worker-1",
      organizations: ["system:nodes", "team-a"],
      usages: ["clientAuth"],
      validityDays: 30,
    });
    const certFile = scratch.file("client.crt", issued.certPem);
    expect(openssl(["verify", "-CAfile", caFile, "-purpose", "sslclient", certFile]).trim()).toBe(
      `${certFile}: OK`,
    );
    // A client-only certificate must not pass as a server one.
    expect(() =>
      openssl(["verify", "-CAfile", caFile, "-purpose", "sslserver", certFile]),
    ).toThrow();
    const text = openssl(["x509", "-noout", "-text", "-in", certFile]);
    expect(text).toContain("Subject: O = system:nodes, O = team-a, CN = system:node:worker-1");
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Client Authentication\n/);
    expect(text).not.toContain("Subject Alternative Name");
    expect(identityFromCertificate(issued.certPem)).toEqual({
      user: "system:node:worker-1",
      groups: ["system:nodes", "team-a"],
    });
  });

  test("certifies a given public key and returns no private key", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const issued = await ca.issue({
      commonName: "holder",
      usages: ["clientAuth"],
      validityDays: 1,
      publicKey: keys.publicKey,
    });
    expect(issued.keyPem).toBeUndefined();
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
    const certFile = scratch.file("holder.crt", issued.certPem);
    const certSpki = opensslBytes(
      ["pkey", "-pubin", "-outform", "der"],
      openssl(["x509", "-noout", "-pubkey", "-in", certFile]),
    );
    expect(certSpki).toEqual(spki);
  });

  test("signs a CSR made by openssl with an EC key, keeping its subject and SANs", async () => {
    const keyFile = `${scratch.path}/node.key`;
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile]);
    const csrPem = openssl([
      "req",
      "-new",
      "-key",
      keyFile,
      "-subj",
      "/O=system:nodes/CN=system:node:worker-2",
      "-addext",
      "subjectAltName=DNS:worker-2,IP:192.168.1.20",
    ]);
    const certPem = await ca.signCsr(csrPem, {
      usages: ["clientAuth", "serverAuth"],
      validityDays: 365,
    });
    const certFile = scratch.file("node.crt", certPem);
    expect(openssl(["verify", "-CAfile", caFile, certFile]).trim()).toBe(`${certFile}: OK`);
    const text = openssl(["x509", "-noout", "-text", "-in", certFile]);
    expect(text).toContain("Subject: O = system:nodes, CN = system:node:worker-2");
    expect(text).toContain("DNS:worker-2, IP Address:192.168.1.20");
    expect(text).toMatch(
      /X509v3 Extended Key Usage:\s+TLS Web Client Authentication, TLS Web Server Authentication\n/,
    );
    // The certificate carries the requester's key, not a new one.
    expect(openssl(["x509", "-noout", "-pubkey", "-in", certFile])).toBe(
      openssl(["pkey", "-in", keyFile, "-pubout"]),
    );
  });

  test("signCsr lets the caller override the subject", async () => {
    const keyFile = `${scratch.path}/override.key`;
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile]);
    const csrPem = openssl(["req", "-new", "-key", keyFile, "-subj", "/O=system:masters/CN=admin"]);
    const certPem = await ca.signCsr(csrPem, {
      usages: ["clientAuth"],
      validityDays: 1,
      commonName: "system:node:worker-3",
      organizations: ["system:nodes"],
    });
    expect(identityFromCertificate(certPem)).toEqual({
      user: "system:node:worker-3",
      groups: ["system:nodes"],
    });
  });

  test("signCsr refuses a CSR whose signature does not match", async () => {
    const keyFile = `${scratch.path}/tamper.key`;
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile]);
    const csrPem = openssl(["req", "-new", "-key", keyFile, "-subj", "/CN=honest"]);
    const der = opensslBytes(["req", "-outform", "der"], csrPem);
    // Change one letter of the signed subject: "honest" becomes "hOnest".
    const at = Buffer.from(der).indexOf("honest");
    expect(at).toBeGreaterThan(0);
    der[at + 1] = "O".charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.signCsr(tampered, { usages: ["clientAuth"], validityDays: 1 })).rejects.toThrow(
      "invalid signature",
    );
  });

  test("publicKeyHash equals openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum", async () => {
    const pipeline = Bun.spawnSync([
      "sh",
      "-c",
      'openssl x509 -noout -pubkey -in "$1" | openssl pkey -pubin -outform der | sha256sum',
      "sh",
      caFile,
    ]);
    expect(pipeline.exitCode).toBe(0);
    const expected = pipeline.stdout.toString().split(" ")[0];
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    expect(await ca.publicKeyHash()).toBe(`sha256:${expected}`);
  });

  test("verify accepts its own certificates within validity only", async () => {
    const { certPem } = await ca.issue({
      commonName: "u",
      usages: ["clientAuth"],
      validityDays: 10,
    });
    expect(await ca.verify(certPem)).toBe(true);
    expect(await ca.verify(certPem, new Date(Date.now() + 11 * DAY_MS))).toBe(false);
    expect(await ca.verify(certPem, new Date(Date.now() - DAY_MS))).toBe(false);
  });

  test("verify rejects a certificate from another CA, even one with the same name", async () => {
    const other = await CertificateAuthority.create({ commonName: "kubun-ca" });
    const { certPem } = await other.issue({
      commonName: "u",
      usages: ["clientAuth"],
      validityDays: 10,
    });
    expect(await ca.verify(certPem)).toBe(false);
    expect(await other.verify(certPem)).toBe(true);
  });

  test("verify says false for text that is not a certificate", async () => {
    expect(await ca.verify("not a certificate")).toBe(false);
  });

  test("fromPem loads a CA that issues certificates the original trusts", async () => {
    const loaded = await CertificateAuthority.fromPem(ca.certPem, ca.keyPem);
    expect(await loaded.publicKeyHash()).toBe(await ca.publicKeyHash());
    const { certPem } = await loaded.issue({
      commonName: "u",
      usages: ["clientAuth"],
      validityDays: 1,
    });
    expect(await ca.verify(certPem)).toBe(true);
  });

  test("fromPem refuses a key that belongs to another certificate", async () => {
    const other = await CertificateAuthority.create({ commonName: "other" });
    await expect(CertificateAuthority.fromPem(ca.certPem, other.keyPem)).rejects.toThrow(
      "does not match",
    );
  });

  test("fromPem refuses a leaf certificate", async () => {
    const issued = await ca.issue({ commonName: "leaf", usages: ["clientAuth"], validityDays: 1 });
    await expect(CertificateAuthority.fromPem(issued.certPem, issued.keyPem!)).rejects.toThrow(
      "is not a CA",
    );
  });

  test("fromPem names the conversion for a SEC1 EC key", async () => {
    const keyFile = `${scratch.path}/sec1.key`;
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile]);
    const sec1 = await Bun.file(keyFile).text();
    await expect(CertificateAuthority.fromPem(ca.certPem, sec1)).rejects.toThrow("PKCS#8");
  });

  test("fromPem loads an RSA CA made by openssl and issues verifiable certificates", async () => {
    const keyFile = `${scratch.path}/rsa-ca.key`;
    const certFile = `${scratch.path}/rsa-ca.crt`;
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keyFile]);
    openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      keyFile,
      "-subj",
      "/CN=kubernetes",
      "-days",
      "10",
      "-out",
      certFile,
    ]);
    const rsaCa = await CertificateAuthority.fromPem(
      await Bun.file(certFile).text(),
      await Bun.file(keyFile).text(),
    );
    const issued = await rsaCa.issue({ commonName: "u", usages: ["clientAuth"], validityDays: 1 });
    const leafFile = scratch.file("rsa-leaf.crt", issued.certPem);
    expect(openssl(["verify", "-CAfile", certFile, leafFile]).trim()).toBe(`${leafFile}: OK`);
    expect(await rsaCa.verify(issued.certPem)).toBe(true);
  });

  test("issue rejects an invalid IP address, no usages and a non-positive validity", async () => {
    await expect(
      ca.issue({
        commonName: "x",
        ipAddresses: ["not-an-ip"],
        usages: ["serverAuth"],
        validityDays: 1,
      }),
    ).rejects.toThrow("invalid IP address");
    await expect(ca.issue({ commonName: "x", usages: [], validityDays: 1 })).rejects.toThrow(
      "usage",
    );
    await expect(
      ca.issue({ commonName: "x", usages: ["clientAuth"], validityDays: 0 }),
    ).rejects.toThrow("validityDays");
    await expect(
      ca.issue({ commonName: " ", usages: ["clientAuth"], validityDays: 1 }),
    ).rejects.toThrow("commonName");
  });
});

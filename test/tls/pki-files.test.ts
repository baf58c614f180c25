import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { loadOrCreatePki } from "../../src/tls/pki-files.ts";
import { openssl, scratchDir, subjectAltNames } from "./openssl.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const sans = { dnsNames: ["api.example.com"], ipAddresses: ["10.0.0.10"] };

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe("loadOrCreatePki", () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  test("creates the CA and serving certificate on first start with owner-only keys", async () => {
    const dir = join(scratch.path, "first", "tls");
    const pki = await loadOrCreatePki(dir, { sans, hostname: "Node-A" });
    expect(pki.caCreated).toBe(true);
    expect(pki.servingIssued).toBe("missing");
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "ca.key"))).toBe(0o600);
    expect(mode(join(dir, "serving.key"))).toBe(0o600);
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(pki.ca.certPem);
    expect(readFileSync(join(dir, "serving.crt"), "utf8")).toBe(pki.serving.certPem);
    expect(readFileSync(join(dir, "serving.key"), "utf8")).toBe(pki.serving.keyPem);

    const servingFile = join(dir, "serving.crt");
    expect(
      openssl([
        "verify",
        "-CAfile",
        join(dir, "ca.crt"),
        "-purpose",
        "sslserver",
        servingFile,
      ]).trim(),
    ).toBe(`${servingFile}: OK`);
    const text = openssl(["x509", "-noout", "-text", "-in", servingFile]);
    expect(text).toContain("Subject: CN = kube-apiserver");
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication\n/);
    expect(subjectAltNames(servingFile).sort()).toEqual(
      [
        "DNS:localhost",
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
        "DNS:node-a",
        "DNS:api.example.com",
        "IP Address:127.0.0.1",
        "IP Address:0:0:0:0:0:0:0:1",
        "IP Address:10.0.0.10",
      ].sort(),
    );
    // Temporary files from the atomic writes are gone.
    expect(readdirSync(dir).sort()).toEqual(["ca.crt", "ca.key", "serving.crt", "serving.key"]);
  });

  test("reuses the same CA and serving certificate on the second start", async () => {
    const dir = join(scratch.path, "second");
    const first = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    const second = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    expect(second.caCreated).toBe(false);
    expect(second.servingIssued).toBeUndefined();
    expect(second.ca.certPem).toBe(first.ca.certPem);
    expect(second.ca.keyPem).toBe(first.ca.keyPem);
    expect(second.serving).toEqual(first.serving);
    expect(await second.ca.publicKeyHash()).toBe(await first.ca.publicKeyHash());
  });

  test("keeps the certificate when fewer SANs are requested, re-issues when a new one is", async () => {
    const dir = join(scratch.path, "sans");
    const first = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    const fewer = await loadOrCreatePki(dir, { sans: {}, hostname: "node-a" });
    expect(fewer.servingIssued).toBeUndefined();
    // Same address written another way is already covered.
    const sameIp = await loadOrCreatePki(dir, {
      sans: { ipAddresses: ["::ffff:10.0.0.10"] },
      hostname: "node-a",
    });
    expect(sameIp.servingIssued).toBeUndefined();

    const wider = await loadOrCreatePki(dir, {
      sans: { dnsNames: [...sans.dnsNames, "new.example.com"], ipAddresses: sans.ipAddresses },
      hostname: "node-a",
    });
    expect(wider.servingIssued).toBe("missing SANs: new.example.com");
    expect(wider.caCreated).toBe(false);
    expect(wider.ca.certPem).toBe(first.ca.certPem);
    expect(wider.serving.certPem).not.toBe(first.serving.certPem);
    expect(wider.serving.keyPem).not.toBe(first.serving.keyPem);
    const names = subjectAltNames(join(dir, "serving.crt"));
    expect(names).toContain("DNS:new.example.com");
    expect(names).toContain("DNS:api.example.com");
    expect(await first.ca.verify(wider.serving.certPem)).toBe(true);

    const newHost = await loadOrCreatePki(dir, { sans, hostname: "node-b" });
    expect(newHost.servingIssued).toBe("missing SANs: node-b");
  });

  test("re-issues a serving certificate with under 30 days left", async () => {
    const dir = join(scratch.path, "expiring");
    const first = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    const all = {
      dnsNames: [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "node-a",
        ...sans.dnsNames,
      ],
      ipAddresses: ["127.0.0.1", "::1", ...sans.ipAddresses],
    };
    const short = await first.ca.issue({
      commonName: "kube-apiserver",
      usages: ["serverAuth"],
      validityDays: 29,
      ...all,
    });
    writeFileSync(join(dir, "serving.crt"), short.certPem);
    writeFileSync(join(dir, "serving.key"), short.keyPem!);

    const again = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    expect(again.servingIssued).toStartWith("expires ");
    expect(again.serving.certPem).not.toBe(short.certPem);
    const notAfter = new Date(
      openssl(["x509", "-noout", "-enddate", "-in", join(dir, "serving.crt")]).split("=")[1]!,
    );
    expect(notAfter.getTime() - Date.now()).toBeGreaterThan(360 * DAY_MS);

    // 31 days left is still fine.
    const enough = await first.ca.issue({
      commonName: "kube-apiserver",
      usages: ["serverAuth"],
      validityDays: 31,
      ...all,
    });
    writeFileSync(join(dir, "serving.crt"), enough.certPem);
    writeFileSync(join(dir, "serving.key"), enough.keyPem!);
    expect(
      (await loadOrCreatePki(dir, { sans, hostname: "node-a" })).servingIssued,
    ).toBeUndefined();
  });

  test("re-issues a serving certificate whose key does not match or that another CA signed", async () => {
    const dir = join(scratch.path, "mismatch");
    const first = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    const stray = await first.ca.issue({
      commonName: "x",
      usages: ["serverAuth"],
      validityDays: 1,
    });
    writeFileSync(join(dir, "serving.key"), stray.keyPem!);
    const fixed = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    expect(fixed.servingIssued).toContain("does not match");

    const foreign = await CertificateAuthority.create({ commonName: "kubun-ca" });
    const foreignServing = await foreign.issue({
      commonName: "kube-apiserver",
      usages: ["serverAuth"],
      validityDays: 365,
    });
    writeFileSync(join(dir, "serving.crt"), foreignServing.certPem);
    writeFileSync(join(dir, "serving.key"), foreignServing.keyPem!);
    const again = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    expect(again.servingIssued).toContain("not signed by the current CA");
    expect(await first.ca.verify(again.serving.certPem)).toBe(true);
  });

  test("refuses to replace a CA whose key file is missing", async () => {
    const dir = join(scratch.path, "halfca");
    const first = await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    rmSync(join(dir, "ca.key"));
    await expect(loadOrCreatePki(dir, { sans, hostname: "node-a" })).rejects.toThrow(
      "ca.key is missing",
    );
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(first.ca.certPem);
  });

  test("tightens an existing directory to 0700", async () => {
    const dir = join(scratch.path, "loose");
    await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    Bun.spawnSync(["chmod", "0755", dir]);
    expect(mode(dir)).toBe(0o755);
    await loadOrCreatePki(dir, { sans, hostname: "node-a" });
    expect(mode(dir)).toBe(0o700);
  });
});

import { beforeAll, describe, expect, test } from "bun:test";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { identityFromCertificate } from "../../src/tls/peer-certificate.ts";
import { openssl, opensslBytes, scratchDir } from "./openssl.ts";

describe("identityFromCertificate", () => {
  let ca: CertificateAuthority;
  beforeAll(async () => {
    ca = await CertificateAuthority.create({ commonName: "kubun-ca" });
  });

  test("reads CN as the user and every O as a group, from PEM", async () => {
    const { certPem } = await ca.issue({
      commonName: "jane",
      organizations: ["system:masters", "developers"],
      usages: ["clientAuth"],
      validityDays: 1,
    });
    expect(identityFromCertificate(certPem)).toEqual({
      user: "jane",
      groups: ["system:masters", "developers"],
    });
  });

  test("reads DER bytes, as socket.getPeerCertificate().raw gives them", async () => {
    const { certPem } = await ca.issue({
      commonName: "system:node:n1",
      organizations: ["system:nodes"],
      usages: ["clientAuth"],
      validityDays: 1,
    });
    const der = opensslBytes(["x509", "-outform", "der"], certPem);
    // A view into a larger buffer, like a pooled Node Buffer.
    const padded = new Uint8Array(der.length + 16);
    padded.set(der, 8);
    expect(identityFromCertificate(padded.subarray(8, 8 + der.length))).toEqual({
      user: "system:node:n1",
      groups: ["system:nodes"],
    });
  });

  test("gives no groups for a subject without O", async () => {
    const { certPem } = await ca.issue({
      commonName: "solo",
      usages: ["clientAuth"],
      validityDays: 1,
    });
    expect(identityFromCertificate(certPem)).toEqual({ user: "solo", groups: [] });
  });

  test("reads a multi-valued RDN and takes the last CN, as Go's x509 does", () => {
    const scratch = scratchDir();
    try {
      const key = `${scratch.path}/k.pem`;
      openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
      const certPem = openssl([
        "req",
        "-x509",
        "-new",
        "-key",
        key,
        "-days",
        "1",
        "-multivalue-rdn",
        "-subj",
        "/O=a+O=b/CN=first/CN=second",
      ]);
      expect(identityFromCertificate(certPem)).toEqual({ user: "second", groups: ["a", "b"] });
    } finally {
      scratch.remove();
    }
  });

  test("throws for a subject without CN", () => {
    const scratch = scratchDir();
    try {
      const key = `${scratch.path}/k.pem`;
      openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
      const certPem = openssl([
        "req",
        "-x509",
        "-new",
        "-key",
        key,
        "-days",
        "1",
        "-subj",
        "/O=nobody",
      ]);
      expect(() => identityFromCertificate(certPem)).toThrow("no common name");
    } finally {
      scratch.remove();
    }
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  caCertHash,
  caCertHashes,
  matchesCaCertHash,
  parseCaCertHash,
} from "../../../src/auth/tokens/ca-cert-hash.ts";
import { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";
import { openssl, opensslBytes, scratchDir } from "../../tls/openssl.ts";

describe("CA certificate hash", () => {
  const scratch = scratchDir();
  let ca: CertificateAuthority;
  let other: CertificateAuthority;

  beforeAll(async () => {
    [ca, other] = await Promise.all([
      CertificateAuthority.create({ commonName: "kubun-ca" }),
      CertificateAuthority.create({ commonName: "other-ca" }),
    ]);
  });
  afterAll(() => scratch.remove());

  test("is sha256 of the DER SubjectPublicKeyInfo, as the kubeadm docs compute it", () => {
    // openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum
    const publicKeyPem = openssl([
      "x509",
      "-pubkey",
      "-noout",
      "-in",
      scratch.file("ca.crt", ca.certPem),
    ]);
    const der = opensslBytes(["pkey", "-pubin", "-outform", "der"], publicKeyPem);
    const hex = new Bun.CryptoHasher("sha256").update(der).digest("hex");
    expect(caCertHash(ca.certPem)).toBe(`sha256:${hex}`);
  });

  test("agrees with the CA's own publicKeyHash and differs between CAs", async () => {
    expect(caCertHash(ca.certPem)).toBe(await ca.publicKeyHash());
    expect(caCertHash(other.certPem)).not.toBe(caCertHash(ca.certPem));
  });

  test("matches pins case-insensitively and any CA of a bundle", () => {
    const pin = caCertHash(ca.certPem);
    expect(matchesCaCertHash(ca.certPem, pin)).toBe(true);
    expect(matchesCaCertHash(ca.certPem, pin.toUpperCase().replace("SHA256", "sha256"))).toBe(true);
    expect(matchesCaCertHash(other.certPem, pin)).toBe(false);
    const bundle = other.certPem + ca.certPem;
    expect(caCertHashes(bundle)).toEqual([caCertHash(other.certPem), pin]);
    expect(matchesCaCertHash(bundle, pin)).toBe(true);
  });

  test("a malformed pin is an error, not a mismatch", () => {
    expect(() => parseCaCertHash("sha256:abc")).toThrow("64 hex digits");
    expect(() => matchesCaCertHash(ca.certPem, "md5:00")).toThrow("invalid CA certificate hash");
    expect(() =>
      caCertHash("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
    ).toThrow();
  });
});

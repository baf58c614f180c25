import { beforeAll, describe, expect, test } from "bun:test";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { type ServingCertificate, servingCertificate } from "../../src/tls/serving-certificate.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

describe("servingCertificate", () => {
  let ca: CertificateAuthority;
  let current: ServingCertificate;
  const sans = servingCertificate.sans(
    { dnsNames: ["api.example.com"], ipAddresses: ["10.0.0.10"] },
    "node-a",
  );

  beforeAll(async () => {
    ca = await CertificateAuthority.create({ commonName: "kubun-ca" });
    current = await servingCertificate.issue(ca, sans);
  });

  test("sans adds the defaults and the host name, lower-cases, canonicalises and de-duplicates", () => {
    expect(
      servingCertificate.sans(
        { dnsNames: ["Kubernetes", "API.example.com"], ipAddresses: ["::1", "10.0.0.1"] },
        "Node-A",
      ),
    ).toEqual({
      dnsNames: [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "node-a",
        "api.example.com",
      ],
      ipAddresses: ["127.0.0.1", "0:0:0:0:0:0:0:1", "10.0.0.1"],
    });
  });

  test("a fresh certificate needs nothing", async () => {
    expect(await servingCertificate.reissueReason(ca, current, sans)).toBeUndefined();
  });

  test("reports the 30-day renewal window", async () => {
    const in334Days = new Date(Date.now() + 334 * DAY_MS);
    const in336Days = new Date(Date.now() + 336 * DAY_MS);
    expect(await servingCertificate.reissueReason(ca, current, sans, in334Days)).toBeUndefined();
    expect(await servingCertificate.reissueReason(ca, current, sans, in336Days)).toStartWith(
      "expires ",
    );
  });

  test("reports missing SANs, comparing DNS names without case", async () => {
    const wanted = {
      dnsNames: ["API.EXAMPLE.COM", "extra.example.com"],
      ipAddresses: ["10.0.0.10", "10.0.0.11"],
    };
    expect(await servingCertificate.reissueReason(ca, current, wanted)).toBe(
      "missing SANs: extra.example.com, 10.0.0.11",
    );
  });

  test("reports a certificate that does not parse", async () => {
    const broken = { certPem: "garbage", keyPem: current.keyPem };
    expect(await servingCertificate.reissueReason(ca, broken, sans)).toStartWith("unreadable");
  });
});

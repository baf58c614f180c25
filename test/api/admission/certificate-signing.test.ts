import { describe, expect, test } from "bun:test";
import {
  CertificateSigning,
  signingChanged,
} from "../../../src/api/admission/certificate-signing.ts";
import { approved, csr, csrUpdate, SignerAuthorizer } from "./certificate-support.ts";
import { rejection } from "./support.ts";

const SIGNER = "example.com/my-signer";
const CERT = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t";
const failed = {
  type: "Failed",
  status: "True",
  reason: "SignerValidationFailure",
  message: "no",
  lastUpdateTime: "2030-01-01T00:00:00Z",
};

describe("CertificateSigning", () => {
  const approvedCsr = csr("csr-1", SIGNER, { conditions: [approved] });

  test("refuses issuing a certificate without sign on the signer", async () => {
    const authorizer = new SignerAuthorizer().grant("alice", "approve", SIGNER);
    const next = csr("csr-1", SIGNER, { conditions: [approved], certificate: CERT });
    const error = await rejection(
      new CertificateSigning(authorizer).validate(csrUpdate(approvedCsr, next, "status")),
    );
    expect(error.code).toBe(403);
    expect(error.message).toBe(
      'certificatesigningrequests.certificates.k8s.io "csr-1" is forbidden: user not permitted to sign requests with signerName "example.com/my-signer"',
    );
    expect(authorizer.asked.map((a) => [a.verb, a.resource, a.name])).toEqual([
      ["sign", "signers", SIGNER],
      ["sign", "signers", "example.com/*"],
    ]);
  });

  test("allows issuing with sign on the signer or on its domain", async () => {
    const next = csr("csr-1", SIGNER, { conditions: [approved], certificate: CERT });
    for (const name of [SIGNER, "example.com/*"]) {
      const authorizer = new SignerAuthorizer().grant("alice", "sign", name);
      await new CertificateSigning(authorizer).validate(csrUpdate(approvedCsr, next, "status"));
    }
  });

  test("a condition change (marking Failed) needs sign too", async () => {
    const next = csr("csr-1", SIGNER, { conditions: [approved, failed] });
    const error = await rejection(
      new CertificateSigning(new SignerAuthorizer()).validate(
        csrUpdate(approvedCsr, next, "status"),
      ),
    );
    expect(error.code).toBe(403);
  });

  test("a status write that changes neither certificate nor conditions is not checked", async () => {
    const authorizer = new SignerAuthorizer();
    const next = csr("csr-1", SIGNER, { conditions: [{ ...approved }] });
    await new CertificateSigning(authorizer).validate(csrUpdate(approvedCsr, next, "status"));
    // Absent and empty lists are the same, as in upstream's semantic equality.
    await new CertificateSigning(authorizer).validate(
      csrUpdate(csr("csr-2", SIGNER), csr("csr-2", SIGNER, { conditions: [] }), "status"),
    );
    expect(authorizer.asked).toEqual([]);
  });

  test("leaves the approval subresource and the main resource to others", async () => {
    const authorizer = new SignerAuthorizer();
    const plugin = new CertificateSigning(authorizer);
    const old = csr("csr-1", SIGNER);
    await plugin.validate(csrUpdate(old, approvedCsr, "approval"));
    await plugin.validate(csrUpdate(old, csr("csr-1", SIGNER, { certificate: CERT }), ""));
    expect(authorizer.asked).toEqual([]);
  });
});

describe("signingChanged", () => {
  test("compares the certificate and the conditions only", () => {
    const base = csr("c", SIGNER, { conditions: [approved] });
    expect(signingChanged(base, csr("c", "other/x", { conditions: [approved] }))).toBe(false);
    expect(
      signingChanged(base, csr("c", SIGNER, { conditions: [approved], certificate: CERT })),
    ).toBe(true);
    expect(signingChanged(base, csr("c", SIGNER, { conditions: [] }))).toBe(true);
    expect(
      signingChanged(base, csr("c", SIGNER, { conditions: [{ ...approved, message: "changed" }] })),
    ).toBe(true);
  });
});

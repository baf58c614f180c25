import { describe, expect, test } from "bun:test";
import {
  CertificateApproval,
  isAuthorizedForSignerName,
} from "../../../src/api/admission/certificate-approval.ts";
import { approved, csr, csrKind, csrUpdate, SignerAuthorizer } from "./certificate-support.ts";
import { kinds, pod, rejection, request } from "./support.ts";

const SIGNER = "example.com/my-signer";

/** The approval write of `csr-1`: the old CSR, and the new one with an Approved condition. */
function approval(signerName = SIGNER, user = "alice", groups: string[] = []) {
  const old = csr("csr-1", signerName);
  const next = csr("csr-1", signerName, { conditions: [approved] });
  return csrUpdate(old, next, "approval", user, groups);
}

describe("CertificateApproval", () => {
  test("refuses a user without approve on the signer, with upstream's message", async () => {
    const authorizer = new SignerAuthorizer();
    const error = await rejection(new CertificateApproval(authorizer).validate(approval()));
    expect(error.code).toBe(403);
    expect(error.status.reason).toBe("Forbidden");
    expect(error.message).toBe(
      'certificatesigningrequests.certificates.k8s.io "csr-1" is forbidden: user not permitted to approve requests with signerName "example.com/my-signer"',
    );
    // Both the exact signer and its domain wildcard were asked about, as upstream does.
    expect(authorizer.asked.map((a) => a.name)).toEqual([SIGNER, "example.com/*"]);
  });

  test("asks for approve on certificates.k8s.io signers/<signerName>, as the requester", async () => {
    const authorizer = new SignerAuthorizer().grant("alice", "approve", SIGNER);
    await new CertificateApproval(authorizer).validate(approval(SIGNER, "alice", ["team"]));
    expect(authorizer.asked).toEqual([
      {
        user: { user: "alice", groups: ["team"] },
        verb: "approve",
        resourceRequest: true,
        path: "",
        apiGroup: "certificates.k8s.io",
        apiVersion: "*",
        resource: "signers",
        subresource: "",
        namespace: "",
        name: SIGNER,
      },
    ]);
  });

  test("allows through the domain wildcard", async () => {
    const authorizer = new SignerAuthorizer().grant("alice", "approve", "example.com/*");
    await new CertificateApproval(authorizer).validate(approval());
    expect(authorizer.asked.map((a) => a.name)).toEqual([SIGNER, "example.com/*"]);
  });

  test("another verb or another signer's permission does not count", async () => {
    const authorizer = new SignerAuthorizer()
      .grant("alice", "sign", SIGNER)
      .grant("alice", "approve", "example.com/other")
      .grant("alice", "approve", "other.io/*")
      .grant("bob", "approve", SIGNER);
    const error = await rejection(new CertificateApproval(authorizer).validate(approval()));
    expect(error.code).toBe(403);
  });

  test("system:masters passes through the authorizer", async () => {
    const authorizer = new SignerAuthorizer();
    await new CertificateApproval(authorizer).validate(
      approval(SIGNER, "admin", ["system:masters"]),
    );
    expect(authorizer.asked).toHaveLength(1);
  });

  test("checks the stored signer, not one the body claims", async () => {
    const authorizer = new SignerAuthorizer().grant("alice", "approve", "example.com/allowed");
    const old = csr("csr-1", "other.io/locked");
    const next = csr("csr-1", "example.com/allowed", { conditions: [approved] });
    const error = await rejection(
      new CertificateApproval(authorizer).validate(csrUpdate(old, next, "approval")),
    );
    expect(error.message).toContain('signerName "other.io/locked"');
  });

  test("leaves other writes alone", async () => {
    const authorizer = new SignerAuthorizer();
    const plugin = new CertificateApproval(authorizer);
    const old = csr("csr-1", SIGNER);
    await plugin.validate(request(csrKind, csr("csr-1", SIGNER)));
    await plugin.validate(csrUpdate(old, csr("csr-1", SIGNER), ""));
    await plugin.validate(
      csrUpdate(old, csr("csr-1", SIGNER, { certificate: "Y2VydA==" }), "status"),
    );
    await plugin.validate(
      request(kinds.pods, pod("p", {}), { operation: "UPDATE", subresource: "approval" }),
    );
    expect(authorizer.asked).toEqual([]);
  });
});

describe("isAuthorizedForSignerName", () => {
  test("a signer name without a domain part is wildcarded as a whole", () => {
    const authorizer = new SignerAuthorizer().grant("alice", "sign", "plain/*");
    const user = { user: "alice", groups: [] };
    expect(isAuthorizedForSignerName(authorizer, user, "sign", "plain")).toBe(true);
    expect(isAuthorizedForSignerName(authorizer, user, "approve", "plain")).toBe(false);
  });
});

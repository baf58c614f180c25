import { describe, expect, test } from "bun:test";
import { CertificateSubjectRestriction } from "../../../src/api/admission/certificate-subject-restriction.ts";
import { certificateRequest } from "../../controllers/csr-fixtures.ts";
import { csr, csrKind, csrUpdate } from "./certificate-support.ts";
import { rejection, request } from "./support.ts";

const CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client";
const plugin = new CertificateSubjectRestriction();
const create = (signerName: string, pem: string) =>
  plugin.validate(request(csrKind, csr("csr-1", signerName, {}, pem)));

describe("CertificateSubjectRestriction", () => {
  test("refuses a kube-apiserver-client request for system:masters, with upstream's message", async () => {
    const pem = await certificateRequest({ cn: "mallory", o: ["system:masters"] });
    const error = await rejection(create(CLIENT_SIGNER, pem));
    expect(error.code).toBe(403);
    expect(error.status.reason).toBe("Forbidden");
    expect(error.message).toBe(
      'certificatesigningrequests.certificates.k8s.io "csr-1" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed',
    );
  });

  test("finds system:masters among several organizations", async () => {
    const pem = await certificateRequest({ cn: "mallory", o: ["team", "system:masters"] });
    expect((await rejection(create(CLIENT_SIGNER, pem))).code).toBe(403);
  });

  test("allows other groups, and system:masters for other signers", async () => {
    await create(CLIENT_SIGNER, await certificateRequest({ cn: "alice", o: ["team"] }));
    await create(CLIENT_SIGNER, await certificateRequest({ cn: "system:masters" }));
    const masters = await certificateRequest({ cn: "x", o: ["system:masters"] });
    await create("example.com/my-signer", masters);
    await create("kubernetes.io/kube-apiserver-client-kubelet", masters);
  });

  test("refuses a request it cannot parse", async () => {
    const error = await rejection(create(CLIENT_SIGNER, btoa("not a pem")));
    expect(error.code).toBe(403);
    expect(error.message).toContain(
      "is forbidden: failed to parse CSR: PEM block type must be CERTIFICATE REQUEST",
    );
  });

  test("checks creates only", async () => {
    const pem = await certificateRequest({ cn: "mallory", o: ["system:masters"] });
    const old = csr("csr-1", CLIENT_SIGNER, {}, pem);
    await plugin.validate(csrUpdate(old, structuredClone(old), ""));
    await plugin.validate(csrUpdate(old, structuredClone(old), "approval"));
  });
});

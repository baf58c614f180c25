import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import {
  certificateSigningRequestKind,
  prepareCertificateSigningRequestApproval,
  validateCertificateSigningRequestApproval,
} from "../../../../src/resources/kinds/certificates/certificate-signing-request.ts";
import { fieldErrorMessage } from "../../../../src/resources/validation/field-error.ts";
import {
  context,
  created,
  createErrors,
  statusUpdateErrors,
  updated,
} from "../apps/kind-harness.ts";

/** A P-256 request for CN=system:node:n1, O=system:nodes (made with openssl). */
const requestPem = `-----BEGIN CERTIFICATE REQUEST-----
MIHsMIGSAgEAMDAxFzAVBgNVBAMMDnN5c3RlbTpub2RlOm4xMRUwEwYDVQQKDAxz
eXN0ZW06bm9kZXMwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASUIcw8rGxuYLaJ
iS37j7twpoN8n7Cn6/fgJpVRjamoqMpZGIGoeuvqdbus43lz24Wzhgn8VlWsPCU3
EwRm5cVdoAAwCgYIKoZIzj0EAwIDSQAwRgIhAOsfwUhCqc0ndRs4iEKrzjxhOWx1
qiFYDtPtgNrXPm1aAiEAz9seSsx+pU38i3F2okotyjuwXo2GC9M6wv/IKO6IuT8=
-----END CERTIFICATE REQUEST-----
`;

/** A self-signed P-256 certificate for CN=test (made with openssl). */
const certificatePem = `-----BEGIN CERTIFICATE-----
MIIBdDCCARmgAwIBAgIUJc5JdHENVaWL7d030IA1Ov8+oVowCgYIKoZIzj0EAwIw
DzENMAsGA1UEAwwEdGVzdDAeFw0yNjExMjcwMDUzMTFaFw0zNjExMjQwMDUzMTFa
MA8xDTALBgNVBAMMBHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARLDRjH
gy6e/BQoxb7ZyvEUhRRaLK8cFz/6D04V1muVUHrZvRXZ6R2y7cXwXlci7OKt/kSi
wjEopF4gZiGyd5WRo1MwUTAdBgNVHQ4EFgQUEKX3Fc2IAshtpUGCVTfwBJbKdCUw
HwYDVR0jBBgwFoAUEKX3Fc2IAshtpUGCVTfwBJbKdCUwDwYDVR0TAQH/BAUwAwEB
/zAKBggqhkjOPQQDAgNJADBGAiEAi4hU4MZexJSaaSsr13ycP7RElvlhQ5D0qlEz
GzrhbhkCIQCtS3prNqeGbNxp6PGPvWaNhXwpgHgmyhu9lnvPCA3ClA==
-----END CERTIFICATE-----
`;

const request = btoa(requestPem);
const certificate = btoa(certificatePem);

function csr(spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "node-csr-n1" },
    spec: {
      request,
      signerName: "kubernetes.io/kube-apiserver-client-kubelet",
      usages: ["digital signature", "client auth"],
      ...spec,
    },
  };
}

const approved = {
  conditions: [{ type: "Approved", status: "True", reason: "AutoApproved", message: "node join" }],
};

describe("certificateSigningRequestKind on create", () => {
  test("records the requester from the request, not the body", () => {
    const input = csr({
      username: "admin",
      uid: "x",
      groups: ["system:masters"],
      extra: { a: ["b"] },
    });
    const spec = created(certificateSigningRequestKind, input).spec as Record<string, unknown>;
    expect(spec.username).toBe(context.user);
    expect(spec.groups).toEqual(context.groups);
    expect(spec.uid).toBeUndefined();
    expect(spec.extra).toBeUndefined();
  });

  test("drops a status sent on create, so nothing is pre-approved", () => {
    const object = created(certificateSigningRequestKind, { ...csr(), status: approved });
    expect(object.status).toEqual({});
  });

  test("accepts a well-formed request", () => {
    expect(createErrors(certificateSigningRequestKind, csr())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "a request that is not PEM",
      csr({ request: btoa("hello") }),
      [
        `spec.request: Invalid value: "${btoa("hello")}": PEM block type must be CERTIFICATE REQUEST`,
      ],
    ],
    [
      "a certificate in place of a request",
      csr({ request: certificate }),
      [`spec.request: Invalid value: "${certificate}": PEM block type must be CERTIFICATE REQUEST`],
    ],
    [
      "a truncated request",
      csr({ request: btoa(requestPem.replace(/qiFY.*\n/, "")) }),
      [
        `spec.request: Invalid value: "${btoa(requestPem.replace(/qiFY.*\n/, ""))}": asn1: syntax error: data truncated`,
      ],
    ],
    ["a missing signer", csr({ signerName: "" }), ["spec.signerName: Required value"]],
    [
      "a signer without a path",
      csr({ signerName: "example.com" }),
      [
        `spec.signerName: Invalid value: "example.com": must be a fully qualified domain and path of the form 'example.com/signer-name'`,
      ],
    ],
    [
      "a signer in a single-label domain",
      csr({ signerName: "example/signer" }),
      [
        'spec.signerName: Invalid value: "example": should be a domain with at least two segments separated by dots',
      ],
    ],
    [
      "the legacy signer",
      csr({ signerName: "kubernetes.io/legacy-unknown" }),
      [
        'spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version',
      ],
    ],
    ["no usages", csr({ usages: [] }), ["spec.usages: Required value"]],
    [
      "an unknown usage",
      csr({ usages: ["client auth", "teleport"] }),
      [
        'spec.usages[1]: Unsupported value: "teleport": supported values: "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping"',
      ],
    ],
    [
      "a repeated usage",
      csr({ usages: ["client auth", "client auth"] }),
      ['spec.usages[1]: Duplicate value: "client auth"'],
    ],
    [
      "a lifetime under ten minutes",
      csr({ expirationSeconds: 300 }),
      [
        "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 600 seconds (10 minutes)",
      ],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(certificateSigningRequestKind, input)).toEqual(expected);
    });
  }
});

describe("certificateSigningRequestKind on update", () => {
  const stored = created(certificateSigningRequestKind, csr());

  test("keeps spec and status on the main endpoint", () => {
    const next = updated(certificateSigningRequestKind, stored, {
      ...csr({ signerName: "example.com/other" }),
      status: approved,
    });
    expect(next.spec).toEqual(stored.spec);
    expect(next.status).toEqual({});
  });

  test("lets the signer set a certificate once through /status", () => {
    expect(statusUpdateErrors(certificateSigningRequestKind, stored, { certificate })).toEqual([]);
    const issued = { ...stored, status: { certificate } };
    expect(
      statusUpdateErrors(certificateSigningRequestKind, issued, {
        certificate: btoa(certificatePem + certificatePem),
      }),
    ).toEqual([
      "status.certificate: Forbidden: updates may not modify existing certificate content",
    ]);
  });

  test("rejects a certificate that is not one", () => {
    expect(
      statusUpdateErrors(certificateSigningRequestKind, stored, { certificate: request }),
    ).toEqual([
      'status.certificate: Invalid value: "<certificate data>": only CERTIFICATE PEM blocks are allowed, found "CERTIFICATE REQUEST"',
    ]);
  });

  test("keeps approval out of /status", () => {
    expect(statusUpdateErrors(certificateSigningRequestKind, stored, approved)).toEqual([
      'status.conditions: Forbidden: updates may not add a condition of type "Approved"',
    ]);
  });

  test("approves through /approval, and an approval cannot be withdrawn", () => {
    const next = structuredClone(stored);
    next.status = structuredClone(approved);
    next.spec = { tampered: true };
    prepareCertificateSigningRequestApproval(next, stored);
    expect(next.spec).toEqual(stored.spec);
    expect(validateCertificateSigningRequestApproval(next, stored)).toEqual([]);

    const withdrawn = { ...next, status: { conditions: [] } };
    expect(
      validateCertificateSigningRequestApproval(withdrawn, next).map(fieldErrorMessage),
    ).toEqual([
      'status.conditions: Forbidden: updates may not remove a condition of type "Approved"',
    ]);
  });

  test("rejects Approved together with Denied", () => {
    const both = {
      conditions: [
        { type: "Approved", status: "True" },
        { type: "Denied", status: "True" },
      ],
    };
    const next = { ...stored, status: both };
    expect(certificateSigningRequestKind.validate?.(next, context).map(fieldErrorMessage)).toEqual([
      'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
    ]);
  });

  test("offers spec.signerName as a field selector", () => {
    expect(certificateSigningRequestKind.selectableFields?.(stored)).toEqual({
      "spec.signerName": "kubernetes.io/kube-apiserver-client-kubelet",
    });
  });
});

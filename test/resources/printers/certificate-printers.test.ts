import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { certificatePrinters } from "../../../src/resources/printers/certificate-printers.ts";
import { ago, cellsByColumn, minutes } from "./printer-fixtures.ts";

const group = "certificates.k8s.io";
const columns = certificatePrinters[`certificatesigningrequests.${group}`]?.columns ?? [];

function csr(spec: Record<string, unknown>, status: Record<string, unknown> = {}) {
  const object: KubeObject = {
    metadata: { name: "node-csr-abc", creationTimestamp: ago(minutes(2)) },
    spec: { request: "LS0t", usages: ["client auth"], ...spec },
    status,
  };
  return cellsByColumn(group, "certificatesigningrequests", object, columns);
}

describe("certificate signing request printer", () => {
  test("prints signer, requestor, requested duration and condition", () => {
    expect(
      csr(
        {
          signerName: "kubernetes.io/kube-apiserver-client-kubelet",
          username: "system:bootstrap:abcdef",
          expirationSeconds: 86400,
        },
        { conditions: [{ type: "Approved", status: "True" }], certificate: "LS0tLS1CRUdJTg==" },
      ),
    ).toEqual({
      Name: "node-csr-abc",
      Age: "2m",
      SignerName: "kubernetes.io/kube-apiserver-client-kubelet",
      Requestor: "system:bootstrap:abcdef",
      RequestedDuration: "24h",
      Condition: "Approved,Issued",
    });
  });

  const conditions: [name: string, status: Record<string, unknown>, printed: string][] = [
    ["no conditions is Pending", {}, "Pending"],
    [
      "Denied wins over Approved",
      { conditions: [{ type: "Approved" }, { type: "Denied" }] },
      "Denied",
    ],
    [
      "Failed is added after the decision",
      { conditions: [{ type: "Approved" }, { type: "Failed" }] },
      "Approved,Failed",
    ],
  ];
  for (const [name, status, printed] of conditions) {
    test(name, () => {
      expect(csr({}, status).Condition).toBe(printed);
    });
  }

  test('prints "<none>" for no signer and no requested duration', () => {
    const cells = csr({});
    expect([cells.SignerName, cells.RequestedDuration]).toEqual(["<none>", "<none>"]);
  });

  test("a cluster trust bundle prints its signer", () => {
    const bundleColumns = certificatePrinters[`clustertrustbundles.${group}`]?.columns ?? [];
    const bundle: KubeObject = { metadata: { name: "b" }, spec: { signerName: "example.com/ca" } };
    expect(cellsByColumn(group, "clustertrustbundles", bundle, bundleColumns)).toEqual({
      Name: "b",
      SignerName: "example.com/ca",
    });
  });
});

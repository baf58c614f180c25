import { describe, expect, test } from "bun:test";
import { parseCertificateRequest } from "../../src/controllers/csr-request.ts";
import {
  apiServerClientProblem,
  kubeletClientProblem,
  kubeletServingProblem,
  signerProblem,
} from "../../src/controllers/csr-rules.ts";
import { certificateRequest, type RequestOptions } from "./csr-fixtures.ts";

const parsed = async (options: RequestOptions) =>
  parseCertificateRequest(await certificateRequest(options));
const node = { cn: "system:node:n1", o: ["system:nodes"] };

describe("parseCertificateRequest", () => {
  test("reads the subject and every kind of SAN", async () => {
    const req = await parsed({
      ...node,
      dns: ["n1.example"],
      ips: ["10.0.0.1"],
      emails: ["a@example.com"],
      uris: ["spiffe://x/y"],
    });
    expect(req.commonName).toBe("system:node:n1");
    expect(req.organizations).toEqual(["system:nodes"]);
    expect(req.dnsNames).toEqual(["n1.example"]);
    expect(req.ipAddresses).toEqual(["10.0.0.1"]);
    expect(req.emailAddresses).toEqual(["a@example.com"]);
    expect(req.uris).toEqual(["spiffe://x/y"]);
  });

  test("refuses anything but a CERTIFICATE REQUEST block", () => {
    expect(() =>
      parseCertificateRequest(
        btoa("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"),
      ),
    ).toThrow("PEM block type must be CERTIFICATE REQUEST");
  });
});

describe("kubeletClientProblem", () => {
  test("accepts a node subject with or without key encipherment", async () => {
    const req = await parsed(node);
    expect(kubeletClientProblem(req, ["digital signature", "client auth"])).toBeUndefined();
    expect(
      kubeletClientProblem(req, ["key encipherment", "digital signature", "client auth"]),
    ).toBeUndefined();
  });

  test("requires exactly the system:nodes organization", async () => {
    const usages = ["digital signature", "client auth"];
    const message = "subject organization is not system:nodes";
    expect(kubeletClientProblem(await parsed({ cn: node.cn }), usages)).toBe(message);
    expect(
      kubeletClientProblem(await parsed({ cn: node.cn, o: ["system:nodes", "x"] }), usages),
    ).toBe(message);
  });

  test("refuses SANs, a foreign common name and other usages", async () => {
    const usages = ["digital signature", "client auth"];
    expect(kubeletClientProblem(await parsed({ ...node, dns: ["a"] }), usages)).toBe(
      "DNS subjectAltNames are not allowed",
    );
    expect(kubeletClientProblem(await parsed({ ...node, ips: ["10.0.0.1"] }), usages)).toBe(
      "IP subjectAltNames are not allowed",
    );
    expect(kubeletClientProblem(await parsed({ ...node, cn: "alice" }), usages)).toBe(
      "subject common name does not begin with system:node:",
    );
    expect(kubeletClientProblem(await parsed(node), ["client auth"])).toBe(
      "usages did not match [client auth digital signature key encipherment]",
    );
    expect(
      kubeletClientProblem(await parsed(node), ["digital signature", "client auth", "server auth"]),
    ).toBe("usages did not match [client auth digital signature key encipherment]");
  });
});

describe("kubeletServingProblem", () => {
  test("accepts a node subject with DNS or IP SANs and server auth", async () => {
    const req = await parsed({ ...node, ips: ["10.0.0.1"] });
    expect(kubeletServingProblem(req, ["digital signature", "server auth"])).toBeUndefined();
  });

  test("requires a SAN, server auth usages and a node common name", async () => {
    const usages = ["digital signature", "server auth"];
    expect(kubeletServingProblem(await parsed(node), usages)).toBe(
      "DNS or IP subjectAltName is required",
    );
    expect(
      kubeletServingProblem(await parsed({ ...node, dns: ["a"], emails: ["a@b"] }), usages),
    ).toBe("Email subjectAltNames are not allowed");
    expect(
      kubeletServingProblem(await parsed({ ...node, dns: ["a"] }), [
        "digital signature",
        "client auth",
      ]),
    ).toBe("usages did not match [digital signature key encipherment server auth]");
    expect(kubeletServingProblem(await parsed({ ...node, cn: "web", dns: ["a"] }), usages)).toBe(
      "subject common name does not begin with system:node:",
    );
  });
});

describe("apiServerClientProblem", () => {
  test("requires client auth and allows only signing usages besides", () => {
    expect(apiServerClientProblem(["client auth"])).toBeUndefined();
    expect(
      apiServerClientProblem(["digital signature", "key encipherment", "client auth"]),
    ).toBeUndefined();
    expect(apiServerClientProblem(["digital signature"])).toBe(
      "missing required usage for client certificate: client auth",
    );
    expect(apiServerClientProblem(["client auth", "server auth"])).toBe(
      "invalid usage for client certificate: server auth",
    );
  });
});

describe("signerProblem", () => {
  test("applies the rules of the named signer", async () => {
    const user = await parsed({ cn: "alice", o: ["devs"] });
    expect(
      signerProblem("kubernetes.io/kube-apiserver-client", user, ["client auth"]),
    ).toBeUndefined();
    expect(
      signerProblem("kubernetes.io/kube-apiserver-client-kubelet", user, [
        "digital signature",
        "client auth",
      ]),
    ).toBe("subject organization is not system:nodes");
    expect(
      signerProblem("kubernetes.io/kubelet-serving", user, ["digital signature", "server auth"]),
    ).toBe("subject organization is not system:nodes");
  });
});

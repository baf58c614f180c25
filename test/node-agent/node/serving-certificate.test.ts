import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCertificateRequest } from "../../../src/controllers/csr-request.ts";
import { kubeletServingProblem } from "../../../src/controllers/csr-rules.ts";
import { certificateInfo } from "../../../src/node-agent/node/certificate-info.ts";
import {
  caServingIssuer,
  createServingCsr,
  csrServingIssuer,
  ServingCertificate,
  type ServingIssuer,
  servesNames,
} from "../../../src/node-agent/node/serving-certificate.ts";
import { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";
import { FakeNodeClient } from "./fake-node-client.ts";

let ca: CertificateAuthority;
let dir: string;
const names = { nodeName: "n1", ipAddresses: ["10.0.0.5"], dnsNames: ["n1"] };

beforeAll(async () => {
  ca = await CertificateAuthority.create({ commonName: "test-ca" });
  dir = await mkdtemp(join(tmpdir(), "kubun-serving-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the kubelet-serving CSR", () => {
  test("names the node and its addresses, with serving usages the approver accepts", async () => {
    const csr = await createServingCsr(names);
    const parsed = parseCertificateRequest(Buffer.from(csr.csrPem).toString("base64"));
    expect(parsed.commonName).toBe("system:node:n1");
    expect(parsed.organizations).toEqual(["system:nodes"]);
    expect(parsed.ipAddresses).toEqual(["10.0.0.5"]);
    expect(parsed.dnsNames).toEqual(["n1"]);
    expect(csr.usages).toEqual(["digital signature", "server auth"]);
    expect(kubeletServingProblem(parsed, csr.usages)).toBeUndefined();
  });

  test("is posted for the kubelet-serving signer and its certificate handed back", async () => {
    // A cluster that approves and signs at once; the get after create sees the result.
    const client = new FakeNodeClient();
    let stored: unknown;
    client.respond = async (call) => {
      if (call.verb !== "create") return stored;
      const body = call.body as { spec: { request: string } };
      const csrPem = Buffer.from(body.spec.request, "base64").toString();
      const certPem = await ca.signCsr(csrPem, { usages: ["serverAuth"], validityDays: 1 });
      stored = {
        metadata: { name: "csr-1", resourceVersion: "1" },
        spec: body.spec,
        status: {
          conditions: [{ type: "Approved", status: "True" }],
          certificate: Buffer.from(certPem).toString("base64"),
        },
      };
      return stored;
    };
    const pair = await csrServingIssuer(client, { timeoutMs: 5000 })(names);
    const created = client.calls.find((c) => c.verb === "create");
    expect(created?.path).toBe("/apis/certificates.k8s.io/v1/certificatesigningrequests");
    expect((created?.body as { spec: { signerName: string } }).spec.signerName).toBe(
      "kubernetes.io/kubelet-serving",
    );
    expect(certificateInfo(pair.certPem)?.ipAddresses).toEqual(["10.0.0.5"]);
    expect(pair.keyPem).toContain("PRIVATE KEY");
  });
});

describe("ServingCertificate", () => {
  test("issued once, kept owner-only, reused while it names the node's addresses", async () => {
    const dataDir = join(dir, "kept");
    let issued = 0;
    const issuer = caServingIssuer(ca);
    const counting: ServingIssuer = async (request) => {
      issued++;
      return issuer(request);
    };
    const first = await new ServingCertificate({ ...names, issuer: counting, dataDir }).obtain();
    expect((await stat(join(dataDir, "pki", "serving.pem"))).mode & 0o777).toBe(0o600);
    const again = await new ServingCertificate({ ...names, issuer: counting, dataDir }).obtain();
    expect(again).toEqual(first);
    expect(issued).toBe(1);

    // A new address: the kept certificate does not name it.
    const moved = { ...names, ipAddresses: ["10.0.0.6"] };
    const renewed = await new ServingCertificate({ ...moved, issuer: counting, dataDir }).obtain();
    expect(issued).toBe(2);
    expect(certificateInfo(renewed.certPem)?.ipAddresses).toEqual(["10.0.0.6"]);
  });

  test("servesNames checks node, names and expiry", async () => {
    const pair = await caServingIssuer(ca)(names);
    const now = new Date();
    expect(servesNames(pair.certPem, names, now)).toBe(true);
    expect(servesNames(pair.certPem, { ...names, nodeName: "n2" }, now)).toBe(false);
    expect(servesNames(pair.certPem, { ...names, dnsNames: ["other"] }, now)).toBe(false);
    const later = new Date(now.getTime() + 400 * 24 * 3600 * 1000);
    expect(servesNames(pair.certPem, names, later)).toBe(false);
  });

  test("rotation hands the new pair to listeners", async () => {
    const serving = new ServingCertificate({
      ...names,
      // Two seconds of life: renewal is due after 1.4 s.
      issuer: caServingIssuer(ca, 2 / 86_400),
      random: () => 0,
    });
    const first = await serving.obtain();
    const rotated: string[] = [];
    serving.onRotated((pair) => rotated.push(pair.certPem));
    serving.startRotation();
    try {
      for (let i = 0; i < 100 && rotated.length === 0; i++) await Bun.sleep(50);
    } finally {
      await serving.stop();
    }
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).not.toBe(first.certPem);
    expect(serving.current()?.certPem).toBe(rotated[0]);
  });
});

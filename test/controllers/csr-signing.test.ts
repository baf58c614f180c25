import "reflect-metadata";
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import * as x509 from "@peculiar/x509";
import {
  CsrSigningController,
  certificateLifetimeSeconds,
  extendedUsages,
  isReadyToSign,
} from "../../src/controllers/csr-signing.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import {
  type CsrOptions,
  certificateRequest,
  csrObject,
  nodeClientUsages,
  tamperedSignature,
} from "./csr-fixtures.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const YEAR = 365 * 24 * 3600;
const approved = [{ type: "Approved", status: "True" }];
// Real time, whole seconds: the CA's own validity counts from now.
const startedAt = new Date(Math.floor(Date.now() / 1000) * 1000);

describe("certificateLifetimeSeconds", () => {
  const now = new Date("2030-01-01T00:00:00Z");
  const caNotAfter = new Date("2040-01-01T00:00:00Z");
  const lifetime = (expirationSeconds: number | undefined, maxSeconds = YEAR) =>
    certificateLifetimeSeconds({ expirationSeconds, maxSeconds, caNotAfter, now });

  test("uses the cluster signing duration when the CSR asks for nothing", () => {
    expect(lifetime(undefined)).toBe(YEAR);
  });

  test("honours a shorter request, but no less than ten minutes", () => {
    expect(lifetime(3600)).toBe(3600);
    expect(lifetime(100)).toBe(600);
  });

  test("caps a longer request at the cluster signing duration", () => {
    expect(lifetime(10 * YEAR)).toBe(YEAR);
    expect(lifetime(7200, 3600)).toBe(3600);
  });

  test("never outlives the CA", () => {
    const soon = new Date(now.getTime() + 1000 * 1000);
    expect(
      certificateLifetimeSeconds({
        expirationSeconds: undefined,
        maxSeconds: YEAR,
        caNotAfter: soon,
        now,
      }),
    ).toBe(1000);
    expect(() =>
      certificateLifetimeSeconds({
        expirationSeconds: undefined,
        maxSeconds: YEAR,
        caNotAfter: now,
        now,
      }),
    ).toThrow("expired");
  });
});

describe("extendedUsages and isReadyToSign", () => {
  test("maps client and server auth, leaving key usages to the CA", () => {
    expect(extendedUsages(["digital signature", "key encipherment", "client auth"])).toEqual([
      "clientAuth",
    ]);
    expect(extendedUsages(["server auth", "digital signature"])).toEqual(["serverAuth"]);
  });

  test("signs only approved requests that have not failed or been issued", () => {
    const csr = (status: object): KubeObject => ({ status });
    expect(isReadyToSign(csr({ conditions: approved }))).toBe(true);
    expect(isReadyToSign(csr({}))).toBe(false);
    expect(
      isReadyToSign(csr({ conditions: [...approved, { type: "Failed", status: "True" }] })),
    ).toBe(false);
    expect(isReadyToSign(csr({ conditions: approved, certificate: "eA==" }))).toBe(false);
  });
});

describe("CsrSigningController", () => {
  let ca: CertificateAuthority;
  let controller: CsrSigningController | undefined;
  beforeAll(async () => {
    ca = await CertificateAuthority.create({ commonName: "test-ca" });
  });
  afterEach(() => controller?.loop.stop());

  function setUp(csr: KubeObject) {
    const fake = new FakeClient();
    const client = fake.asClient();
    controller = new CsrSigningController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      ca,
      log: new RecordingLogger(),
      now: () => startedAt,
    });
    controller.csrs.replace([csr], "5");
    return { fake, controller };
  }

  const nodeCsr = async (extra: Partial<CsrOptions> = {}) =>
    csrObject("c1", {
      request: await certificateRequest({ cn: "system:node:n1", o: ["system:nodes"] }),
      signerName: "kubernetes.io/kube-apiserver-client-kubelet",
      usages: nodeClientUsages,
      username: "system:bootstrap:abcdef",
      conditions: approved,
      ...extra,
    });

  test("writes the signed certificate through /status", async () => {
    const { fake, controller } = setUp(await nodeCsr({ expirationSeconds: 3600 }));
    const before = Date.now();
    await controller.sync("c1");
    expect(fake.writes()).toEqual([
      "updateStatus /apis/certificates.k8s.io/v1/certificatesigningrequests/c1",
    ]);
    const status = fake.actions[0]?.body?.status as { certificate: string; conditions: unknown };
    expect(status.conditions).toEqual(approved);
    const pem = atob(status.certificate);
    expect(await ca.verify(pem)).toBe(true);
    const cert = new x509.X509Certificate(pem);
    expect(cert.subjectName.getField("CN")).toEqual(["system:node:n1"]);
    expect(cert.subjectName.getField("O")).toEqual(["system:nodes"]);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    const lifetime = (cert.notAfter.getTime() - before) / 1000;
    expect(lifetime).toBeGreaterThan(3590);
    expect(lifetime).toBeLessThan(3610);
  });

  test("marks a request that breaks its signer's rules Failed", async () => {
    const { fake, controller } = setUp(await nodeCsr({ usages: ["client auth"] }));
    await controller.sync("c1");
    expect(fake.writes()).toEqual([
      "updateStatus /apis/certificates.k8s.io/v1/certificatesigningrequests/c1",
    ]);
    expect(fake.actions[0]?.body?.status).toEqual({
      conditions: [
        ...approved,
        {
          type: "Failed",
          status: "True",
          reason: "SignerValidationFailure",
          message: "usages did not match [client auth digital signature key encipherment]",
          lastUpdateTime: startedAt.toISOString().replace(".000Z", "Z"),
        },
      ],
    });
  });

  test("marks a request whose signature does not verify Failed", async () => {
    const csr = await nodeCsr();
    const spec = csr.spec as { request: string };
    spec.request = tamperedSignature(spec.request);
    const { fake, controller } = setUp(csr);
    await controller.sync("c1");
    expect(fake.actions[0]?.body?.status).toMatchObject({
      conditions: [
        ...approved,
        { type: "Failed", message: "certificate signing request has an invalid signature" },
      ],
    });
  });

  test("leaves pending requests and other signers alone", async () => {
    for (const extra of [{ conditions: [] }, { signerName: "example.com/other" }]) {
      const { fake, controller } = setUp(await nodeCsr(extra));
      await controller.sync("c1");
      expect(fake.actions).toEqual([]);
      await controller.loop.stop();
    }
  });

  test("refuses a cluster signing duration under ten minutes at construction", () => {
    const client = new FakeClient().asClient();
    expect(
      () =>
        new CsrSigningController({
          client,
          informers: new SharedInformers(client, new RecordingLogger()),
          ca,
          log: new RecordingLogger(),
          clusterSigningDurationSeconds: 60,
        }),
    ).toThrow("at least 600 seconds");
  });
});

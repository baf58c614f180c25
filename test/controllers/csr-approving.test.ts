import { afterEach, describe, expect, test } from "bun:test";
import { IgnorableError, PermanentError } from "../../src/controllers/controller.ts";
import {
  type ApprovalChecks,
  CsrApprovingController,
  decideApproval,
  type NodeClientSubresource,
} from "../../src/controllers/csr-approving.ts";
import { csrSpec, parseCertificateRequest } from "../../src/controllers/csr-request.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import {
  type CsrOptions,
  certificateRequest,
  csrObject,
  nodeClientUsages,
  nodeServingUsages,
  type RequestOptions,
} from "./csr-fixtures.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const CLIENT = "kubernetes.io/kube-apiserver-client-kubelet";
const SERVING = "kubernetes.io/kubelet-serving";
const nodeSubject = { cn: "system:node:n1", o: ["system:nodes"] };
const n1: KubeObject = {
  metadata: { name: "n1" },
  status: {
    addresses: [
      { type: "InternalIP", address: "10.0.0.1" },
      { type: "Hostname", address: "n1" },
      { type: "InternalDNS", address: "n1.cluster.internal" },
    ],
  },
};

/** Fake checks: the subresources allowed, the Nodes that exist; records what was asked. */
function checks(allowed: NodeClientSubresource[], nodes: KubeObject[] = []) {
  const asked: string[] = [];
  const fake: ApprovalChecks = {
    mayCreate: async (subresource) => {
      asked.push(subresource);
      return allowed.includes(subresource);
    },
    node: async (name) => nodes.find((n) => n.metadata?.name === name),
  };
  return { asked, fake };
}

async function decide(
  request: RequestOptions,
  options: Omit<CsrOptions, "request">,
  fake: ApprovalChecks,
) {
  const csr = csrObject("c", { ...options, request: await certificateRequest(request) });
  const spec = csrSpec(csr);
  return decideApproval(spec, parseCertificateRequest(spec.request), fake);
}

describe("decideApproval for node client certificates", () => {
  const bootstrap = {
    signerName: CLIENT,
    usages: nodeClientUsages,
    username: "system:bootstrap:abcdef",
  };
  const renewal = { signerName: CLIENT, usages: nodeClientUsages, username: "system:node:n1" };

  test("approves a bootstrap request when the requester may create nodeclient", async () => {
    const { asked, fake } = checks(["nodeclient"]);
    expect(await decide(nodeSubject, bootstrap, fake)).toEqual({
      approve: true,
      message: "Auto approving kubelet client certificate after SubjectAccessReview.",
    });
    expect(asked).toEqual(["nodeclient"]);
  });

  test("approves a node renewing its own certificate through selfnodeclient", async () => {
    const { asked, fake } = checks(["selfnodeclient"]);
    expect(await decide(nodeSubject, renewal, fake)).toEqual({
      approve: true,
      message: "Auto approving self kubelet client certificate after SubjectAccessReview.",
    });
    expect(asked).toEqual(["selfnodeclient"]);
  });

  test("does not grant selfnodeclient to a requester other than the named node", async () => {
    const { asked, fake } = checks(["selfnodeclient"]);
    const decision = await decide(nodeSubject, bootstrap, fake);
    expect(decision).toEqual({
      approve: false,
      retry: true,
      reason: "recognized as [nodeclient] but subject access review was not approved",
    });
    expect(asked).toEqual(["nodeclient"]);
  });

  test("leaves a request that is not node-shaped alone without asking", async () => {
    const { asked, fake } = checks(["nodeclient", "selfnodeclient"]);
    const serverUsage = { ...bootstrap, usages: [...nodeClientUsages, "server auth"] };
    expect(await decide(nodeSubject, serverUsage, fake)).toMatchObject({
      approve: false,
      retry: false,
    });
    expect(await decide({ cn: "system:node:n1" }, bootstrap, fake)).toMatchObject({
      approve: false,
      retry: false,
    });
    expect(asked).toEqual([]);
  });
});

describe("decideApproval for kubelet serving certificates", () => {
  const serving = {
    signerName: SERVING,
    usages: nodeServingUsages,
    username: "system:node:n1",
    groups: ["system:nodes", "system:authenticated"],
  };

  test("approves SANs that are the node's own addresses", async () => {
    const { fake } = checks([], [n1]);
    const request = { ...nodeSubject, ips: ["10.0.0.1"], dns: ["n1", "n1.cluster.internal"] };
    expect(await decide(request, serving, fake)).toMatchObject({ approve: true });
  });

  test("waits when an IP or DNS name is not among the node's addresses", async () => {
    const { fake } = checks([], [n1]);
    expect(await decide({ ...nodeSubject, ips: ["10.0.0.9"] }, serving, fake)).toEqual({
      approve: false,
      retry: true,
      reason: "IP address 10.0.0.9 is not one of the node's addresses",
    });
    expect(await decide({ ...nodeSubject, dns: ["evil.example"] }, serving, fake)).toMatchObject({
      approve: false,
      retry: true,
    });
  });

  test("waits for a node that is not registered yet", async () => {
    const { fake } = checks([], []);
    expect(await decide({ ...nodeSubject, ips: ["10.0.0.1"] }, serving, fake)).toEqual({
      approve: false,
      retry: true,
      reason: 'node "n1" not found',
    });
  });

  test("refuses a requester that is not the node the certificate names", async () => {
    const { fake } = checks([], [n1]);
    const other = { ...serving, username: "system:node:n2" };
    expect(await decide({ ...nodeSubject, ips: ["10.0.0.1"] }, other, fake)).toMatchObject({
      approve: false,
      retry: false,
    });
    const notNode = { ...serving, groups: ["system:authenticated"] };
    expect(await decide({ ...nodeSubject, ips: ["10.0.0.1"] }, notNode, fake)).toMatchObject({
      approve: false,
      retry: false,
    });
  });
});

describe("CsrApprovingController", () => {
  let controller: CsrApprovingController | undefined;
  afterEach(() => controller?.loop.stop());

  async function setUp(csr: KubeObject, allowed: boolean) {
    const fake = new FakeClient();
    fake.respond = (action) =>
      action.path.endsWith("/subjectaccessreviews")
        ? { ...action.body, status: { allowed } }
        : action.body;
    const client = fake.asClient();
    controller = new CsrApprovingController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => new Date("2030-01-02T03:04:05.678Z"),
    });
    controller.csrs.replace([csr], "5");
    return { fake, controller };
  }

  const bootstrapCsr = async (extra: Partial<CsrOptions> = {}) =>
    csrObject("node-csr-1", {
      request: await certificateRequest(nodeSubject),
      signerName: CLIENT,
      usages: nodeClientUsages,
      username: "system:bootstrap:abcdef",
      groups: ["system:bootstrappers", "system:authenticated"],
      ...extra,
    });

  test("asks a SubjectAccessReview for the requester and approves through /approval", async () => {
    const { fake, controller } = await setUp(await bootstrapCsr(), true);
    await controller.sync("node-csr-1");
    expect(fake.writes()).toEqual([
      "create /apis/authorization.k8s.io/v1/subjectaccessreviews",
      "update /apis/certificates.k8s.io/v1/certificatesigningrequests/node-csr-1/approval",
    ]);
    expect(fake.actions[0]?.body?.spec).toEqual({
      user: "system:bootstrap:abcdef",
      groups: ["system:bootstrappers", "system:authenticated"],
      resourceAttributes: {
        group: "certificates.k8s.io",
        resource: "certificatesigningrequests",
        subresource: "nodeclient",
        verb: "create",
      },
    });
    expect(fake.actions[1]?.body?.status).toEqual({
      conditions: [
        {
          type: "Approved",
          status: "True",
          reason: "AutoApproved",
          message: "Auto approving kubelet client certificate after SubjectAccessReview.",
          lastUpdateTime: "2030-01-02T03:04:05Z",
        },
      ],
    });
    expect(controller.csrs.store.get("node-csr-1")?.status).toEqual({});
  });

  test("retries quietly when the review is not allowed", async () => {
    const { fake, controller } = await setUp(await bootstrapCsr(), false);
    await expect(controller.sync("node-csr-1")).rejects.toBeInstanceOf(IgnorableError);
    expect(fake.writes()).toEqual(["create /apis/authorization.k8s.io/v1/subjectaccessreviews"]);
  });

  test("skips requests already approved, denied or issued", async () => {
    for (const extra of [
      { conditions: [{ type: "Approved", status: "True" }] },
      { conditions: [{ type: "Denied", status: "True" }] },
      { certificate: "Y2VydA==" },
    ]) {
      const { fake, controller } = await setUp(await bootstrapCsr(extra), true);
      await controller.sync("node-csr-1");
      expect(fake.actions).toEqual([]);
      await controller.loop.stop();
    }
  });

  test("drops a request that does not parse", async () => {
    const { controller } = await setUp(await bootstrapCsr({ request: btoa("garbage") }), true);
    await expect(controller.sync("node-csr-1")).rejects.toBeInstanceOf(PermanentError);
  });

  test("reads the Node before approving a kubelet serving certificate", async () => {
    const csr = csrObject("serving-1", {
      request: await certificateRequest({ ...nodeSubject, ips: ["10.0.0.1"] }),
      signerName: SERVING,
      usages: nodeServingUsages,
      username: "system:node:n1",
      groups: ["system:nodes"],
    });
    const { fake, controller } = await setUp(csr, false);
    fake.respond = (action) => (action.verb === "get" ? n1 : action.body);
    await controller.sync("serving-1");
    expect(fake.actions.map((a) => `${a.verb} ${a.path}`)).toEqual([
      "get /api/v1/nodes/n1",
      "update /apis/certificates.k8s.io/v1/certificatesigningrequests/serving-1/approval",
    ]);
    expect(fake.actions[1]?.body?.status).toMatchObject({
      conditions: [{ type: "Approved", status: "True", reason: "AutoApproved" }],
    });
  });
});

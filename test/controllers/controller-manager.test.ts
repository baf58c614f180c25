import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { bootstrapTokenSecret } from "../../src/auth/tokens/bootstrap-token.ts";
import { ApiClient } from "../../src/client/api-client.ts";
import { isNotFound } from "../../src/client/api-error.ts";
import { loadKubeConfig } from "../../src/client/kube-config.ts";
import { resourcePath } from "../../src/client/resource-path.ts";
import {
  type RunningControllers,
  startControllers,
} from "../../src/controllers/controller-manager.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import type { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { readLocalCa } from "../../src/tls/pki-files.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { certificateRequest, csrObject, nodeClientUsages } from "./csr-fixtures.ts";
import { RecordingLogger } from "./fake-client.ts";

/**
 * The controllers run in this process against a real server, with the admin's
 * credentials: what the API contract promises, independent of how the server
 * itself wires them.
 */
let cluster: TestCluster;
let client: ApiClient;
let ca: CertificateAuthority;
let running: RunningControllers;

beforeAll(async () => {
  cluster = await startCluster();
  client = new ApiClient(await loadKubeConfig(cluster.kubeconfig));
  const local = await readLocalCa(join(cluster.dataDir, "tls"));
  if (!local) throw new Error("the test server wrote no CA");
  ca = local;
  running = startControllers({
    client,
    ca,
    serverUrl: cluster.url,
    caPem: ca.certPem,
    log: new RecordingLogger(),
  });
  await running.synced;
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await cluster?.stop();
});

/** Polls until `read` returns a value; a guard against a hang, not a performance bound. */
async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch((error) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(50);
  }
}

const path = (resource: string, namespace?: string, name?: string) =>
  resourcePath({ version: "v1", resource, namespace, name });

describe("controllers against a real API server", () => {
  test("a new namespace gets its default ServiceAccount and kube-root-ca.crt", async () => {
    await client.create(path("namespaces"), { metadata: { name: "cm-team" } });
    const sa = await eventually(() => client.get(path("serviceaccounts", "cm-team", "default")));
    expect(sa.metadata?.name).toBe("default");
    const cm = await eventually(() =>
      client.get(path("configmaps", "cm-team", "kube-root-ca.crt")),
    );
    expect(cm.data).toEqual({ "ca.crt": ca.certPem });
  });

  test("a deleted default ServiceAccount and a changed root CA are restored", async () => {
    await client.create(path("namespaces"), { metadata: { name: "cm-restore" } });
    const cmPath = path("configmaps", "cm-restore", "kube-root-ca.crt");
    const cm = await eventually(() => client.get(cmPath));
    await client.update(cmPath, { ...cm, data: { "ca.crt": "tampered" } });
    const saPath = path("serviceaccounts", "cm-restore", "default");
    const sa = await eventually(() => client.get(saPath));
    await client.delete(saPath);
    await eventually(async () => {
      const again = await client.get(saPath);
      return again.metadata?.uid !== sa.metadata?.uid ? again : undefined;
    });
    await eventually(async () => {
      const restored = await client.get(cmPath);
      return (restored.data as Record<string, string>)["ca.crt"] === ca.certPem
        ? restored
        : undefined;
    });
  });

  test("cluster-info is signed for a new bootstrap token, and the token goes when expired", async () => {
    const secrets = path("secrets", "kube-system");
    await client.create(
      secrets,
      bootstrapTokenSecret({ id: "cmtok1", secret: "0123456789abcdef" }),
    );
    const info = await eventually(async () => {
      const found = await client.get(path("configmaps", "kube-public", "cluster-info"));
      return (found.data as Record<string, string>)["jws-kubeconfig-cmtok1"] ? found : undefined;
    });
    expect((info.data as Record<string, string>).kubeconfig).toContain(cluster.url);

    const expired = bootstrapTokenSecret({
      id: "cmtok2",
      secret: "0123456789abcdef",
      ttlSeconds: 1,
      now: new Date(Date.now() - 60_000),
    });
    await client.create(secrets, expired);
    await eventually(async () => {
      try {
        await client.get(path("secrets", "kube-system", "bootstrap-token-cmtok2"));
        return undefined;
      } catch (error) {
        if (isNotFound(error)) return true;
        throw error;
      }
    });
  });

  test("a node client CSR the requester may approve is approved and signed", async () => {
    const csrs = resourcePath({
      group: "certificates.k8s.io",
      version: "v1",
      resource: "certificatesigningrequests",
    });
    const csr: KubeObject = csrObject("cm-node-1", {
      request: await certificateRequest({ cn: "system:node:cm-node-1", o: ["system:nodes"] }),
      signerName: "kubernetes.io/kube-apiserver-client-kubelet",
      usages: nodeClientUsages,
      username: "",
    });
    delete csr.status;
    delete (csr.metadata as Record<string, unknown>).resourceVersion;
    delete (csr.metadata as Record<string, unknown>).uid;
    await client.create(csrs, csr);
    const signed = await eventually(async () => {
      const found = await client.get(`${csrs}/cm-node-1`);
      return (found.status as { certificate?: string }).certificate ? found : undefined;
    });
    const status = signed.status as {
      certificate: string;
      conditions: { type: string; reason: string }[];
    };
    expect(status.conditions.map((c) => `${c.type}/${c.reason}`)).toEqual([
      "Approved/AutoApproved",
    ]);
    expect(await ca.verify(atob(status.certificate))).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { KubeObject } from "../../src/resources/kind.ts";
import { certificateRequest } from "../controllers/csr-fixtures.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import {
  certificateKubeconfig,
  clusterCa,
  clusterFetch,
  tokenKubeconfig,
} from "../support/credentials.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

/** Polls `check` until it returns a value (bounded), for what happens in the background. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const apply = (object: unknown) =>
  cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(object) });

const getJson = async (args: string[]): Promise<KubeObject> =>
  JSON.parse(await cluster.ok(["get", ...args, "-o", "json"]));

async function csrManifest(name: string, signerName: string, o: string[] = []) {
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name },
    spec: {
      request: await certificateRequest({ cn: `${name}-user`, o }),
      signerName,
      usages: ["digital signature", "client auth"],
    },
  };
}

const conditionTypes = (csr: KubeObject) =>
  ((csr.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? []).map(
    (c) => c.type,
  );

describe("CertificateApproval and CertificateSigning", () => {
  const SIGNER = "example.com/team-signer";

  test("approving needs approve on the signer, not only update on csr/approval", async () => {
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "csr-clerk" },
      rules: [
        {
          apiGroups: ["certificates.k8s.io"],
          resources: ["certificatesigningrequests"],
          verbs: ["create", "get", "list"],
        },
        {
          apiGroups: ["certificates.k8s.io"],
          resources: ["certificatesigningrequests/approval", "certificatesigningrequests/status"],
          verbs: ["update"],
        },
      ],
    });
    await cluster.ok([
      "create",
      "clusterrolebinding",
      "carol-csr-clerk",
      "--clusterrole",
      "csr-clerk",
      "--user",
      "carol",
    ]);
    const carol = await certificateKubeconfig(cluster, "carol");
    const asCarol = { env: { KUBECONFIG: carol.path } };
    await cluster.ok(["create", "-f", "-"], {
      ...asCarol,
      input: JSON.stringify(await csrManifest("carol-csr", SIGNER)),
    });

    // kubectl's request: PUT the approval subresource. RBAC allows it; admission does not.
    const denied = await cluster.kubectl(["certificate", "approve", "carol-csr"], asCarol);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("Error from server (Forbidden)");
    expect(denied.stderr).toContain(
      `certificatesigningrequests.certificates.k8s.io "carol-csr" is forbidden: user not permitted to approve requests with signerName "${SIGNER}"`,
    );
    const csr = await getJson(["csr", "carol-csr"]);
    const approval = structuredClone(csr);
    approval.status = {
      conditions: [{ type: "Approved", status: "True", reason: "ByHand", message: "ok" }],
    };
    const put = await clusterFetch(
      cluster,
      "/apis/certificates.k8s.io/v1/certificatesigningrequests/carol-csr/approval",
      {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(approval),
        cert: carol.certPem,
        key: carol.keyPem,
      },
    );
    expect(put.status).toBe(403);
    expect(((await put.json()) as { reason: string }).reason).toBe("Forbidden");
    expect(conditionTypes(await getJson(["csr", "carol-csr"]))).toEqual([]);

    // Granted approve on that one signer, the same request goes through.
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "team-signer-approver" },
      rules: [
        {
          apiGroups: ["certificates.k8s.io"],
          resources: ["signers"],
          resourceNames: [SIGNER],
          verbs: ["approve"],
        },
      ],
    });
    await cluster.ok([
      "create",
      "clusterrolebinding",
      "carol-team-signer-approver",
      "--clusterrole",
      "team-signer-approver",
      "--user",
      "carol",
    ]);
    await eventually(async () => {
      const result = await cluster.kubectl(["certificate", "approve", "carol-csr"], asCarol);
      return result.code === 0 ? true : undefined;
    }, "carol's approval to be accepted");
    expect(conditionTypes(await getJson(["csr", "carol-csr"]))).toEqual(["Approved"]);

    // Issuing is the signer's business: update on csr/status without sign is refused.
    const approved = await getJson(["csr", "carol-csr"]);
    approved.status = {
      ...(approved.status as object),
      certificate: Buffer.from(carol.certPem).toString("base64"),
    };
    const issue = await clusterFetch(
      cluster,
      "/apis/certificates.k8s.io/v1/certificatesigningrequests/carol-csr/status",
      {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(approved),
        cert: carol.certPem,
        key: carol.keyPem,
      },
    );
    expect(issue.status).toBe(403);
    expect(((await issue.json()) as { message: string }).message).toBe(
      `certificatesigningrequests.certificates.k8s.io "carol-csr" is forbidden: user not permitted to sign requests with signerName "${SIGNER}"`,
    );
  });

  test("the in-process signer still signs kube-apiserver-client requests an admin approves", async () => {
    await cluster.ok(["create", "-f", "-"], {
      input: JSON.stringify(
        await csrManifest("team-client", "kubernetes.io/kube-apiserver-client", ["team"]),
      ),
    });
    await cluster.ok(["certificate", "approve", "team-client"]);
    const certificate = await eventually(async () => {
      const csr = await getJson(["csr", "team-client"]);
      return (csr.status as { certificate?: string } | undefined)?.certificate || undefined;
    }, "the controller manager to sign team-client");
    expect(Buffer.from(certificate, "base64").toString()).toContain("BEGIN CERTIFICATE");
  });
});

describe("CertificateSubjectRestriction", () => {
  test("a kube-apiserver-client request for system:masters is refused at create", async () => {
    const result = await cluster.kubectl(["create", "-f", "-"], {
      input: JSON.stringify(
        await csrManifest("sneaky", "kubernetes.io/kube-apiserver-client", ["system:masters"]),
      ),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Error from server (Forbidden)");
    expect(result.stderr).toContain(
      "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed",
    );
    const lookup = await cluster.kubectl(["get", "csr", "sneaky"]);
    expect(lookup.code).not.toBe(0);
    expect(lookup.stderr).toContain("NotFound");
  });
});

describe("service account token Secrets", () => {
  const whoamiStatus = (token: string) =>
    clusterFetch(cluster, "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "authentication.k8s.io/v1",
        kind: "SelfSubjectReview",
      }),
    }).then((response) => response.status);

  const tokenSecret = (name: string, account: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/service-account-token",
    metadata: {
      name,
      namespace: "tokens",
      annotations: { "kubernetes.io/service-account.name": account },
    },
  });

  const secretValue = (secret: KubeObject, key: string) => {
    const value = (secret.data as Record<string, string> | undefined)?.[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString();
  };

  test("a token Secret gets a token that authenticates until the Secret is deleted", async () => {
    await cluster.ok(["create", "namespace", "tokens"]);
    await cluster.ok(["create", "serviceaccount", "builder", "-n", "tokens"]);
    const account = await getJson(["serviceaccount", "builder", "-n", "tokens"]);
    await apply(tokenSecret("builder-token", "builder"));
    const secret = await eventually(async () => {
      const found = await getJson(["secret", "builder-token", "-n", "tokens"]);
      return secretValue(found, "token") ? found : undefined;
    }, "the token controller to fill builder-token");
    const token = secretValue(secret, "token") ?? "";
    expect(secretValue(secret, "namespace")).toBe("tokens");
    expect(secretValue(secret, "ca.crt")).toBe((await clusterCa(cluster)).certPem);
    expect(secret.metadata?.annotations?.["kubernetes.io/service-account.uid"]).toBe(
      account.metadata?.uid,
    );

    const env = { KUBECONFIG: await tokenKubeconfig(cluster, token) };
    const whoami = JSON.parse(await cluster.ok(["auth", "whoami", "-o", "json"], { env })).status
      .userInfo;
    expect(whoami.username).toBe("system:serviceaccount:tokens:builder");
    expect(whoami.groups).toContain("system:serviceaccounts:tokens");
    expect(await whoamiStatus(token)).toBe(201);

    await cluster.ok(["delete", "secret", "builder-token", "-n", "tokens"]);
    await eventually(
      async () => ((await whoamiStatus(token)) === 401 ? true : undefined),
      "the deleted Secret's token to be refused",
    );
    const refused = await cluster.kubectl(["auth", "whoami"], { env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Unauthorized");
  });

  test("a token Secret whose ServiceAccount goes away is deleted", async () => {
    await cluster.ok(["create", "serviceaccount", "temp", "-n", "tokens"]);
    await apply(tokenSecret("temp-token", "temp"));
    await eventually(async () => {
      const found = await getJson(["secret", "temp-token", "-n", "tokens"]);
      return secretValue(found, "token") ? found : undefined;
    }, "the token controller to fill temp-token");
    await cluster.ok(["delete", "serviceaccount", "temp", "-n", "tokens"]);
    await eventually(async () => {
      const result = await cluster.kubectl(["get", "secret", "temp-token", "-n", "tokens"]);
      return result.code !== 0 && result.stderr.includes("NotFound") ? true : undefined;
    }, "temp-token to be deleted");
  });
});

import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as x509 from "@peculiar/x509";
import {
  discoverCluster,
  renewClientCertificate,
  requestClientCertificate,
} from "../../src/auth/join/join.ts";
import { caCertHash } from "../../src/auth/tokens/ca-cert-hash.ts";
import { ApiError } from "../../src/client/api-error.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { clusterCa, clusterFetch } from "../support/credentials.ts";
import { runKubun } from "../support/kubun-process.ts";

const SIGNING_MINUTES = 15;
let cluster: TestCluster;
let caPem: string;

beforeAll(async () => {
  cluster = await startCluster({ args: ["--cluster-signing-duration", `${SIGNING_MINUTES}m`] });
  caPem = (await clusterCa(cluster)).certPem;
});

afterAll(async () => {
  await cluster?.stop();
});

interface JoinCommand {
  line: string;
  server: string;
  token: string;
  hash: string;
}

/** `kubun token create`, and the parts of the join command it prints. */
async function createToken(): Promise<JoinCommand> {
  const created = await runKubun(["token", "create", "--data-dir", cluster.dataDir]);
  if (created.code !== 0) {
    throw new Error(`kubun token create failed (${created.code}): ${created.stderr}`);
  }
  const line = created.stdout.trim();
  const match =
    /^kubun agent --server (\S+) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --ca-cert-hash (sha256:[0-9a-f]{64})$/.exec(
      line,
    );
  if (!match) throw new Error(`unexpected join command: ${JSON.stringify(created.stdout)}`);
  return { line, server: match[1] ?? "", token: match[2] ?? "", hash: match[3] ?? "" };
}

/**
 * Discovery with a freshly created token: the bootstrap signer adds the token's
 * signature to cluster-info shortly after the token's Secret appears, so this polls.
 */
async function discoverWith(join: JoinCommand) {
  return discoverCluster({
    server: cluster.url,
    token: join.token,
    caCertHashes: [join.hash],
    timeoutMs: 30_000,
    retryIntervalMs: 100,
  });
}

interface Joined {
  join: JoinCommand;
  csrName: string;
  certPem: string;
  keyPem: string;
  /** Date.now() just before the CSR was posted and just after the certificate came back. */
  requestedAt: number;
  issuedAt: number;
}

let joinedNode: Promise<Joined> | undefined;

/** Node n1's TLS bootstrap, done once and shared by the tests that need its certificate. */
function joinN1(): Promise<Joined> {
  joinedNode ??= (async () => {
    const join = await createToken();
    const discovered = await discoverWith(join);
    const progress: string[] = [];
    const requestedAt = Date.now();
    const issued = await requestClientCertificate({
      server: discovered.server,
      caPem: discovered.caPem,
      token: join.token,
      nodeName: "n1",
      timeoutMs: 60_000,
      onProgress: (message) => progress.push(message),
    });
    const csrName =
      progress
        .map((m) => /created CertificateSigningRequest ([^;\s]+)/.exec(m)?.[1])
        .find(Boolean) ?? "";
    const issuedAt = Date.now();
    return { join, csrName, requestedAt, issuedAt, ...issued };
  })();
  return joinedNode;
}

function certificate(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem);
}

function nodeObject(name: string): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name } });
}

async function csr(name: string) {
  return JSON.parse(await cluster.ok(["get", "csr", name, "-o", "json"])) as {
    spec: { username: string; groups: string[]; signerName: string };
    status: { conditions?: { type: string; reason?: string; message?: string }[] };
  };
}

describe("node join", () => {
  test("the join command names this cluster and pins its CA", async () => {
    const join = await createToken();
    expect(join.hash).toBe(caCertHash(caPem));
    expect(join.server).toBe(cluster.url);
    // And that URL is served with this cluster's CA.
    const version = await fetch(`${join.server}/version`, {
      tls: { ca: caPem },
      keepalive: false,
    } as RequestInit);
    expect(version.status).toBe(200);
  });

  test("discovery, TLS bootstrap and the node's own Node object", async () => {
    const { join, csrName, certPem, keyPem, requestedAt, issuedAt } = await joinN1();

    const discovered = await discoverWith(join);
    expect(discovered.caPem).toBe(caPem);
    expect(discovered.server).toBe(cluster.url);

    const cert = certificate(certPem);
    expect(cert.subjectName.getField("CN")).toEqual(["system:node:n1"]);
    expect(cert.subjectName.getField("O")).toEqual(["system:nodes"]);
    expect(
      await cert.verify({ publicKey: certificate(caPem).publicKey, signatureOnly: true }),
    ).toBe(true);
    // Valid from the moment it was signed for exactly the --cluster-signing-duration
    // (short certificates are not backdated, as upstream), not the default year.
    // Certificate times have whole seconds, hence the second of slack.
    const duration = SIGNING_MINUTES * 60_000;
    expect(cert.notAfter.getTime()).toBeGreaterThanOrEqual(requestedAt - 1000 + duration);
    expect(cert.notAfter.getTime()).toBeLessThanOrEqual(issuedAt + duration);
    expect(cert.notBefore.getTime()).toBeLessThanOrEqual(issuedAt);
    expect(cert.notBefore.getTime()).toBeGreaterThanOrEqual(requestedAt - 1000);
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(duration);

    expect(csrName).not.toBe("");
    const table = await cluster.ok(["get", "csr", csrName]);
    expect(table).toMatch(new RegExp(`^${csrName}\\s.*\\sApproved,Issued\\s*$`, "m"));
    const requested = await csr(csrName);
    expect(requested.spec.username).toBe(`system:bootstrap:${join.token.split(".")[0]}`);
    expect(requested.spec.signerName).toBe("kubernetes.io/kube-apiserver-client-kubelet");

    const own = await clusterFetch(cluster, "/api/v1/nodes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: nodeObject("n1"),
      cert: certPem,
      key: keyPem,
    });
    expect(own.status).toBe(201);
    expect(((await own.json()) as { metadata: { name: string } }).metadata.name).toBe("n1");
    const other = await clusterFetch(cluster, "/api/v1/nodes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: nodeObject("n2"),
      cert: certPem,
      key: keyPem,
    });
    expect(other.status).toBe(403);
    expect((await cluster.kubectl(["get", "node", "n2"])).code).not.toBe(0);
  });

  test("a wrong CA certificate hash is refused", async () => {
    const join = await createToken();
    const wrong = `sha256:${"0".repeat(64)}`;
    const attempt = discoverCluster({
      server: cluster.url,
      token: join.token,
      caCertHashes: [wrong],
      timeoutMs: 30_000,
      retryIntervalMs: 100,
    });
    // The pin check is permanent: no waiting out the timeout.
    await expect(attempt).rejects.toThrow(
      `public key hash ${join.hash}, which none of the given hashes pin; check the --ca-cert-hash value`,
    );
    // The same token with the right pin works: it is the hash that was refused.
    expect((await discoverWith(join)).caPem).toBe(caPem);
  });

  test("an expired bootstrap token is refused", async () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const expired = { id: "exp123", secret: "0123456789abcdef" };
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `bootstrap-token-${expired.id}`, namespace: "kube-system" },
      type: "bootstrap.kubernetes.io/token",
      data: {
        "token-id": b64(expired.id),
        "token-secret": b64(expired.secret),
        expiration: b64("2020-01-01T00:00:00Z"),
        "usage-bootstrap-authentication": b64("true"),
        "usage-bootstrap-signing": b64("true"),
      },
    };
    await cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(secret) });
    // A token created after it: once the signer has signed for this one, it has
    // seen the expired one too, so its missing signature is a decision, not a delay.
    const later = await createToken();
    const discovered = await discoverWith(later);
    expect(discovered.caPem).toBe(caPem);
    const info = JSON.parse(
      await cluster.ok(["get", "configmap", "cluster-info", "-n", "kube-public", "-o", "json"]),
    ) as { data: Record<string, string> };
    expect(Object.keys(info.data)).toContain(`jws-kubeconfig-${later.token.split(".")[0]}`);
    expect(Object.keys(info.data)).not.toContain(`jws-kubeconfig-${expired.id}`);

    const token = `${expired.id}.${expired.secret}`;
    await expect(
      discoverCluster({ server: cluster.url, token, caCertHashes: [later.hash] }),
    ).rejects.toThrow(
      `there is no JWS signed token in the cluster-info ConfigMap for token ID "${expired.id}"`,
    );

    // Even with the CA known, the token does not authenticate a CSR.
    let refusal: unknown;
    try {
      await requestClientCertificate({
        server: cluster.url,
        caPem,
        token,
        nodeName: "n3",
        timeoutMs: 30_000,
      });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).code).toBe(401);
    const csrs = JSON.parse(await cluster.ok(["get", "csr", "-o", "json"])) as {
      items: { spec: { username: string } }[];
    };
    expect(csrs.items.map((item) => item.spec.username)).not.toContain(
      `system:bootstrap:${expired.id}`,
    );
  });

  test("rotation: the node renews its certificate with the current one", async () => {
    const { certPem, keyPem } = await joinN1();
    const progress: string[] = [];
    const renewed = await renewClientCertificate({
      server: cluster.url,
      caPem,
      certPem,
      currentKeyPem: keyPem,
      timeoutMs: 60_000,
      onProgress: (message) => progress.push(message),
    });
    const before = certificate(certPem);
    const after = certificate(renewed.certPem);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.subject).toBe(before.subject);
    expect(after.subjectName.getField("CN")).toEqual(["system:node:n1"]);
    expect(renewed.keyPem).not.toBe(keyPem);

    const csrName =
      progress
        .map((m) => /created CertificateSigningRequest ([^;\s]+)/.exec(m)?.[1])
        .find(Boolean) ?? "";
    expect(csrName).not.toBe("");
    const requested = await csr(csrName);
    expect(requested.spec.username).toBe("system:node:n1");
    expect(requested.spec.groups).toContain("system:nodes");
    const approved = requested.status.conditions?.find((c) => c.type === "Approved");
    expect(approved?.reason).toBe("AutoApproved");
    expect(approved?.message).toBe(
      "Auto approving self kubelet client certificate after SubjectAccessReview.",
    );

    // The new credentials work: the server sees the node's identity in them.
    const review = await clusterFetch(
      cluster,
      "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
        cert: renewed.certPem,
        key: renewed.keyPem,
      },
    );
    expect(review.status).toBe(201);
    const seen = (await review.json()) as { status: { userInfo: { username: string } } };
    expect(seen.status.userInfo.username).toBe("system:node:n1");
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { discoverCluster } from "../../../src/auth/join/join.ts";
import { caCertHash } from "../../../src/auth/tokens/ca-cert-hash.ts";
import { signDetached } from "../../../src/auth/tokens/cluster-info-jws.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";
import { FakeApiServer } from "./fake-api-server.ts";

const ID = "abcdef";
const SECRET = "0123456789abcdef";
const TOKEN = `${ID}.${SECRET}`;

// cluster-info's kubeconfig as the bootstrap signer publishes it: one unnamed cluster.
function clusterInfoKubeconfig(caPem: string, server: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${Buffer.from(caPem).toString("base64")}`,
    `    server: ${server}`,
    '  name: ""',
    "contexts: null",
    'current-context: ""',
    "preferences: {}",
    "users: null",
    "",
  ].join("\n");
}

function clusterInfo(data: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cluster-info", namespace: "kube-public" },
    data,
  };
}

async function signedClusterInfo(caPem: string, server: string, secret = SECRET) {
  const kubeconfig = clusterInfoKubeconfig(caPem, server);
  return clusterInfo({
    kubeconfig,
    [`jws-kubeconfig-${ID}`]: await signDetached(kubeconfig, ID, secret),
  });
}

describe("discoverCluster", () => {
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let server: FakeApiServer | undefined;

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([
      CertificateAuthority.create({ commonName: "kubun-ca" }),
      CertificateAuthority.create({ commonName: "impostor-ca" }),
    ]);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    await server?.close();
  });

  // Serves a fixed cluster-info, or one per request from `sequence`.
  async function serve(...sequence: KubeObject[]): Promise<FakeApiServer> {
    let served = 0;
    server = await FakeApiServer.start({
      ca,
      clusterInfo: () => sequence[Math.min(served++, sequence.length - 1)],
    });
    return server;
  }

  test("returns the pinned CA and the server cluster-info names, fetched twice", async () => {
    await serve(await signedClusterInfo(ca.certPem, "https://api.example:6443"));
    const found = await discoverCluster({
      server: `${server?.url}/`,
      token: TOKEN,
      caCertHashes: [caCertHash(ca.certPem)],
    });
    expect(found).toEqual({ caPem: ca.certPem, server: "https://api.example:6443" });
    const fetches = server?.requests.filter((r) => r.path.endsWith("/cluster-info")) ?? [];
    expect(fetches).toHaveLength(2);
    // Anonymous: no token or certificate goes to a server not yet trusted.
    expect(fetches.every((r) => r.authorization === undefined)).toBe(true);
  });

  test("names the actual hash when the CA is not pinned", async () => {
    await serve(await signedClusterInfo(ca.certPem, "https://api.example:6443"));
    const wrong = caCertHash(otherCa.certPem);
    const attempt = discoverCluster({ server: urlOf(server), token: TOKEN, caCertHashes: [wrong] });
    await expect(attempt).rejects.toThrow(caCertHash(ca.certPem));
    await expect(
      discoverCluster({ server: urlOf(server), token: TOKEN, caCertHashes: [wrong] }),
    ).rejects.toThrow("--ca-cert-hash");
  });

  test("requires a JWS for the token's id", async () => {
    const kubeconfig = clusterInfoKubeconfig(ca.certPem, "https://api.example:6443");
    await serve(clusterInfo({ kubeconfig, "jws-kubeconfig-zzzzzz": "x..y" }));
    await expect(
      discoverCluster({
        server: urlOf(server),
        token: TOKEN,
        caCertHashes: [caCertHash(ca.certPem)],
      }),
    ).rejects.toThrow(
      `there is no JWS signed token in the cluster-info ConfigMap for token ID "${ID}"`,
    );
  });

  test("rejects a signature made with another secret", async () => {
    await serve(await signedClusterInfo(ca.certPem, "https://x:6443", "ffffffffffffffff"));
    await expect(
      discoverCluster({
        server: urlOf(server),
        token: TOKEN,
        caCertHashes: [caCertHash(ca.certPem)],
      }),
    ).rejects.toThrow("failed to verify JWS signature of received cluster info object");
  });

  test("refuses when the verified second fetch differs from the first", async () => {
    const first = await signedClusterInfo(ca.certPem, "https://a:6443");
    await serve(first, await signedClusterInfo(ca.certPem, "https://b:6443"));
    await expect(
      discoverCluster({
        server: urlOf(server),
        token: TOKEN,
        caCertHashes: [caCertHash(ca.certPem)],
      }),
    ).rejects.toThrow("was different from the first");
  });

  test("the second fetch verifies the server against the discovered CA", async () => {
    // A server that signs cluster-info naming a CA it does not hold a certificate from.
    await serve(await signedClusterInfo(otherCa.certPem, "https://x:6443"));
    const attempt = discoverCluster({
      server: urlOf(server),
      token: TOKEN,
      caCertHashes: [caCertHash(otherCa.certPem)],
    });
    await expect(attempt).rejects.toThrow();
    expect(server?.requests.filter((r) => r.path.endsWith("/cluster-info"))).toHaveLength(1);
  });

  test("needs a pin unless CA verification is skipped explicitly", async () => {
    await serve(await signedClusterInfo(ca.certPem, "https://a:6443"));
    await expect(
      discoverCluster({ server: urlOf(server), token: TOKEN, caCertHashes: [] }),
    ).rejects.toThrow("no CA certificate hash given");
    const found = await discoverCluster({
      server: urlOf(server),
      token: TOKEN,
      caCertHashes: [],
      unsafeSkipCaVerification: true,
    });
    expect(found.caPem).toBe(ca.certPem);
  });

  test("retries until the signer has signed for a fresh token", async () => {
    const kubeconfig = clusterInfoKubeconfig(ca.certPem, "https://a:6443");
    const unsigned = clusterInfo({ kubeconfig });
    const signed = await signedClusterInfo(ca.certPem, "https://a:6443");
    await serve(unsigned, unsigned, signed);
    const options = { server: urlOf(server), token: TOKEN, caCertHashes: [caCertHash(ca.certPem)] };
    await expect(discoverCluster(options)).rejects.toThrow("no JWS signed token");
    const found = await discoverCluster({ ...options, timeoutMs: 5000, retryIntervalMs: 20 });
    expect(found.server).toBe("https://a:6443");
  });

  test("a malformed token fails before any request", async () => {
    await expect(
      discoverCluster({ server: "https://127.0.0.1:1", token: "nope", caCertHashes: [] }),
    ).rejects.toThrow("the bootstrap token must have the form");
  });
});

function urlOf(server: FakeApiServer | undefined): string {
  if (server === undefined) throw new Error("no server");
  return server.url;
}

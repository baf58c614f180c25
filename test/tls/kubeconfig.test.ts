import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { buildKubeconfig } from "../../src/tls/kubeconfig.ts";
import { scratchDir } from "./openssl.ts";

interface KubectlConfig {
  "current-context": string;
  clusters: { name: string; cluster: Record<string, string> }[];
  users: { name: string; user: Record<string, string> }[];
  contexts: { name: string; context: Record<string, string> }[];
}

// kubectl is the reader that matters: parse the file exactly as client-go does.
function kubectlView(file: string): KubectlConfig {
  const result = Bun.spawnSync(
    ["kubectl", "config", "view", "--kubeconfig", file, "--raw", "-o", "json"],
    {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent" },
    },
  );
  if (result.exitCode !== 0) throw new Error(`kubectl failed: ${result.stderr.toString()}`);
  return JSON.parse(result.stdout.toString()) as KubectlConfig;
}

describe("buildKubeconfig", () => {
  const scratch = scratchDir();
  let ca: CertificateAuthority;
  let client: { certPem: string; keyPem: string };

  beforeAll(async () => {
    ca = await CertificateAuthority.create({ commonName: "kubun-ca" });
    const issued = await ca.issue({
      commonName: "kubernetes-admin",
      organizations: ["system:masters"],
      usages: ["clientAuth"],
      validityDays: 1,
    });
    client = { certPem: issued.certPem, keyPem: issued.keyPem! };
  });
  afterAll(() => scratch.remove());

  test("kubectl reads back the cluster, user and context with the embedded PEMs", () => {
    const yaml = buildKubeconfig({
      server: "https://127.0.0.1:6443",
      caPem: ca.certPem,
      userName: "kubernetes-admin",
      clientCertPem: client.certPem,
      clientKeyPem: client.keyPem,
    });
    const view = kubectlView(scratch.file("admin.conf", yaml));
    expect(view["current-context"]).toBe("kubernetes-admin@kubun");
    expect(view.clusters).toEqual([
      {
        name: "kubun",
        cluster: {
          server: "https://127.0.0.1:6443",
          "certificate-authority-data": Buffer.from(ca.certPem).toString("base64"),
        },
      },
    ]);
    expect(view.contexts).toEqual([
      { name: "kubernetes-admin@kubun", context: { cluster: "kubun", user: "kubernetes-admin" } },
    ]);
    expect(view.users).toHaveLength(1);
    const user = view.users[0]!;
    expect(user.name).toBe("kubernetes-admin");
    expect(Buffer.from(user.user["client-certificate-data"]!, "base64").toString()).toBe(
      client.certPem,
    );
    expect(Buffer.from(user.user["client-key-data"]!, "base64").toString()).toBe(client.keyPem);
  });

  test("several servers of one cluster: a cluster and a context each, the first current", () => {
    const yaml = buildKubeconfig({
      server: "https://10.0.0.1:6443",
      moreServers: ["https://10.0.0.2:6443", "https://10.0.0.3:6443"],
      caPem: ca.certPem,
      userName: "admin",
      clientCertPem: client.certPem,
      clientKeyPem: client.keyPem,
    });
    const view = kubectlView(scratch.file("trio.conf", yaml));
    expect(view["current-context"]).toBe("admin@kubun");
    expect(view.clusters.map((c) => [c.name, c.cluster.server])).toEqual([
      ["kubun", "https://10.0.0.1:6443"],
      ["kubun-2", "https://10.0.0.2:6443"],
      ["kubun-3", "https://10.0.0.3:6443"],
    ]);
    expect(view.contexts.map((c) => [c.name, c.context.cluster, c.context.user])).toEqual([
      ["admin@kubun", "kubun", "admin"],
      ["admin@kubun-2", "kubun-2", "admin"],
      ["admin@kubun-3", "kubun-3", "admin"],
    ]);
    expect(view.users).toHaveLength(1);
  });

  test("keeps names with colons and quotes, a namespace and a custom context", () => {
    const yaml = buildKubeconfig({
      server: "https://[::1]:6443",
      caPem: ca.certPem,
      clusterName: 'lab "east": 1',
      userName: "system:node:worker-1",
      clientCertPem: client.certPem,
      clientKeyPem: client.keyPem,
      contextName: "node#1",
      namespace: "kube-system",
    });
    const view = kubectlView(scratch.file("node.conf", yaml));
    expect(view["current-context"]).toBe("node#1");
    expect(view.clusters[0]?.name).toBe('lab "east": 1');
    expect(view.clusters[0]?.cluster.server).toBe("https://[::1]:6443");
    expect(view.contexts).toEqual([
      {
        name: "node#1",
        context: {
          cluster: 'lab "east": 1',
          user: "system:node:worker-1",
          namespace: "kube-system",
        },
      },
    ]);
    expect(view.users[0]?.name).toBe("system:node:worker-1");
  });

  test("starts with apiVersion v1 and kind Config", () => {
    const yaml = buildKubeconfig({
      server: "https://k:6443",
      caPem: ca.certPem,
      userName: "u",
      clientCertPem: client.certPem,
      clientKeyPem: client.keyPem,
    });
    expect(yaml.split("\n").slice(0, 2)).toEqual(["apiVersion: v1", "kind: Config"]);
  });

  test("refuses a non-https server and non-PEM credentials", () => {
    const base = {
      server: "https://k:6443",
      caPem: ca.certPem,
      userName: "u",
      clientCertPem: client.certPem,
      clientKeyPem: client.keyPem,
    };
    expect(() => buildKubeconfig({ ...base, server: "http://k:6443" })).toThrow("https");
    expect(() => buildKubeconfig({ ...base, caPem: "junk" })).toThrow("caPem is not PEM");
    expect(() => buildKubeconfig({ ...base, userName: "" })).toThrow("userName");
  });
});

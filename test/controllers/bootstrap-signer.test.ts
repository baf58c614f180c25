import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import YAML from "yaml";
import { discoverCluster } from "../../src/auth/join/discovery.ts";
import { bootstrapTokenSecret } from "../../src/auth/tokens/bootstrap-token.ts";
import { caCertHash } from "../../src/auth/tokens/ca-cert-hash.ts";
import { verifyDetached } from "../../src/auth/tokens/cluster-info-jws.ts";
import {
  BootstrapSigner,
  clusterInfoData,
  clusterInfoKubeconfig,
  signingTokens,
} from "../../src/controllers/bootstrap-signer.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const SERVER = "https://10.0.0.1:6443";
const now = new Date("2030-01-01T00:00:00Z");
const token = (id: string, options: { ttlSeconds?: number; signing?: boolean } = {}) =>
  bootstrapTokenSecret({
    id,
    secret: "0123456789abcdef",
    ttlSeconds: options.ttlSeconds ?? 3600,
    usages: options.signing === false ? ["authentication"] : ["authentication", "signing"],
    now,
  });

let caPem: string;
beforeAll(async () => {
  caPem = (await CertificateAuthority.create({ commonName: "test-ca" })).certPem;
});

describe("clusterInfoKubeconfig", () => {
  test("names one cluster by server and CA, with no users", () => {
    const config = YAML.parse(clusterInfoKubeconfig(SERVER, caPem));
    expect(config.kind).toBe("Config");
    expect(config.clusters).toHaveLength(1);
    expect(config.clusters[0].cluster.server).toBe(SERVER);
    expect(atob(config.clusters[0].cluster["certificate-authority-data"])).toBe(caPem);
    expect(config.users).toBeNull();
    expect(config.contexts).toBeNull();
  });

  test("is the same text every time, so signatures stay stable", () => {
    expect(clusterInfoKubeconfig(SERVER, caPem)).toBe(clusterInfoKubeconfig(SERVER, caPem));
  });

  test("refuses a server that is not https", () => {
    expect(() => clusterInfoKubeconfig("http://10.0.0.1:6443", caPem)).toThrow("https");
  });
});

describe("signingTokens", () => {
  test("keeps unexpired tokens marked for signing only", () => {
    const misnamed = token("cccccc");
    (misnamed.metadata as { name: string }).name = "bootstrap-token-dddddd";
    const tokens = signingTokens(
      [
        token("aaaaaa"),
        token("bbbbbb", { signing: false }),
        misnamed,
        token("eeeeee", { ttlSeconds: 0 }),
      ],
      now,
    );
    expect(tokens.map((t) => t.id)).toEqual(["aaaaaa", "eeeeee"]);
    expect(signingTokens([token("aaaaaa")], new Date(now.getTime() + 3601_000))).toEqual([]);
  });
});

describe("clusterInfoData", () => {
  test("sets kubeconfig and exactly the given signatures, keeping other keys", () => {
    const existing = { kubeconfig: "old", "jws-kubeconfig-gone00": "x", other: "kept" };
    expect(clusterInfoData(existing, "new", { aaaaaa: "sig" })).toEqual({
      kubeconfig: "new",
      other: "kept",
      "jws-kubeconfig-aaaaaa": "sig",
    });
  });
});

describe("BootstrapSigner", () => {
  let signer: BootstrapSigner | undefined;
  afterEach(() => signer?.loop.stop());

  function setUp(configMaps: KubeObject[], secrets: KubeObject[]) {
    const fake = new FakeClient();
    const client = fake.asClient();
    signer = new BootstrapSigner({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      serverUrl: SERVER,
      caPem,
      now: () => now,
    });
    signer.configMaps.replace(configMaps, "1");
    signer.secrets.replace(secrets, "1");
    return { fake, signer };
  }

  test("creates cluster-info with a verifiable signature per signing token", async () => {
    const { fake, signer } = setUp([], [token("aaaaaa"), token("bbbbbb", { signing: false })]);
    await signer.sync();
    expect(fake.writes()).toEqual(["create /api/v1/namespaces/kube-public/configmaps"]);
    const created = fake.actions[0]?.body as KubeObject & { data: Record<string, string> };
    expect(created.metadata).toEqual({ name: "cluster-info", namespace: "kube-public" });
    expect(Object.keys(created.data).sort()).toEqual(["jws-kubeconfig-aaaaaa", "kubeconfig"]);
    expect(
      await verifyDetached(
        created.data["jws-kubeconfig-aaaaaa"] ?? "",
        created.data.kubeconfig ?? "",
        "aaaaaa",
        "0123456789abcdef",
      ),
    ).toBe(true);
  });

  test("removes the signature of a token that is gone, and writes nothing when current", async () => {
    const kubeconfig = clusterInfoKubeconfig(SERVER, caPem);
    const stale: KubeObject = {
      metadata: { name: "cluster-info", namespace: "kube-public", resourceVersion: "7" },
      data: { kubeconfig, "jws-kubeconfig-gone00": "x" },
    };
    const first = setUp([stale], []);
    await first.signer.sync();
    expect(first.fake.writes()).toEqual([
      "update /api/v1/namespaces/kube-public/configmaps/cluster-info",
    ]);
    expect(first.fake.actions[0]?.body).toEqual({ ...stale, data: { kubeconfig } });
    await first.signer.loop.stop();

    const current = setUp([{ ...stale, data: { kubeconfig } }], []);
    await current.signer.sync();
    expect(current.fake.actions).toEqual([]);
  });

  test("writes what token discovery on a joining node accepts", async () => {
    const { fake, signer } = setUp([], [token("aaaaaa")]);
    await signer.sync();
    const configMap = JSON.stringify(fake.actions[0]?.body);
    const discovered = await discoverCluster({
      server: SERVER,
      token: "aaaaaa.0123456789abcdef",
      caCertHashes: [caCertHash(caPem)],
      fetchImpl: async () => new Response(configMap),
    });
    expect(discovered).toEqual({ caPem, server: SERVER });
  });
});

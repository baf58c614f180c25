import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caCertHash } from "../../../src/auth/tokens/ca-cert-hash.ts";
import { certificateInfo } from "../../../src/node-agent/node/certificate-info.ts";
import { decideCredentials } from "../../../src/node-agent/node/credential-policy.ts";
import {
  fileCredentialStore,
  memoryCredentialStore,
  nodeKubeconfigPath,
  type StoredCredentials,
} from "../../../src/node-agent/node/credential-store.ts";
import { NodeCredentials } from "../../../src/node-agent/node/credentials.ts";
import { JoinError } from "../../../src/node-agent/node/join-cluster.ts";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "../../../src/node-agent/node/node-client.ts";
import { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";

let ca: CertificateAuthority;
let dir: string;
const SERVER = "https://127.0.0.1:1";

beforeAll(async () => {
  ca = await CertificateAuthority.create({ commonName: "test-ca" });
  dir = await mkdtemp(join(tmpdir(), "kubun-credentials-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function credentialsFor(
  user: string,
  groups: string[] = ["system:nodes"],
  validityDays = 10,
): Promise<StoredCredentials> {
  const issued = await ca.issue({
    commonName: user,
    organizations: groups,
    usages: ["clientAuth"],
    validityDays,
  });
  return {
    server: SERVER,
    caPem: ca.certPem,
    certPem: issued.certPem,
    keyPem: issued.keyPem ?? "",
  };
}

describe("decideCredentials", () => {
  test("nothing kept: join", () => {
    expect(decideCredentials(undefined, { nodeName: "n1" })).toEqual({
      action: "join",
      reason: "this node has not joined a cluster yet",
    });
  });

  test("valid: use, and renew 70–90 % into the lifetime", async () => {
    const kept = await credentialsFor("system:node:n1");
    const info = certificateInfo(kept.certPem);
    if (!info) throw new Error("no certificate");
    const start = info.notBefore.getTime();
    const lifetime = info.notAfter.getTime() - start;
    for (const [random, fraction] of [
      [0, 0.7],
      [0.5, 0.8],
      [0.999, 0.8998],
    ] as const) {
      const decision = decideCredentials(kept, { nodeName: "n1", random: () => random });
      if (decision.action !== "use") throw new Error(`expected use, got ${decision.reason}`);
      expect((decision.renewAt.getTime() - start) / lifetime).toBeCloseTo(fraction, 3);
    }
  });

  test("expired: join again", async () => {
    const kept = await credentialsFor("system:node:n1");
    const later = new Date(Date.now() + 11 * 24 * 3600 * 1000);
    const decision = decideCredentials(kept, { nodeName: "n1", now: later });
    expect(decision.action).toBe("join");
    expect(decision.action === "join" && decision.reason).toContain("expired");
  });

  test("another node's, or not in system:nodes: join again", async () => {
    const other = await credentialsFor("system:node:n2");
    expect(decideCredentials(other, { nodeName: "n1" })).toEqual({
      action: "join",
      reason: 'the kept client certificate is for "system:node:n2", not system:node:n1',
    });
    const noGroup = await credentialsFor("system:node:n1", []);
    expect(decideCredentials(noGroup, { nodeName: "n1" }).action).toBe("join");
  });

  test("a CA the given hash does not pin: join again", async () => {
    const kept = await credentialsFor("system:node:n1");
    const wrong = `sha256:${"0".repeat(64)}`;
    expect(decideCredentials(kept, { nodeName: "n1", caCertHashes: [wrong] }).action).toBe("join");
    expect(
      decideCredentials(kept, { nodeName: "n1", caCertHashes: [caCertHash(ca.certPem)] }).action,
    ).toBe("use");
  });

  test("garbage: join again", () => {
    const kept = { server: SERVER, caPem: ca.certPem, certPem: "nope", keyPem: "" };
    expect(decideCredentials(kept, { nodeName: "n1" }).action).toBe("join");
  });
});

describe("credential stores", () => {
  test("the file store keeps one owner-only kubeconfig", async () => {
    const dataDir = join(dir, "store");
    const store = fileCredentialStore(dataDir);
    expect(await store.load()).toBeUndefined();
    const kept = await credentialsFor("system:node:n1");
    await store.save(kept);
    expect(store.location).toBe(nodeKubeconfigPath(dataDir));
    expect((await stat(store.location)).mode & 0o777).toBe(0o600);
    expect(await fileCredentialStore(dataDir).load()).toEqual(kept);
  });

  test("the memory store", async () => {
    const store = memoryCredentialStore();
    const kept = await credentialsFor("system:node:n1");
    await store.save(kept);
    expect(await store.load()).toEqual(kept);
  });
});

describe("NodeCredentials", () => {
  test("a restart reuses kept credentials without a token", async () => {
    const dataDir = join(dir, "kept");
    const kept = await credentialsFor("system:node:n1");
    await fileCredentialStore(dataDir).save(kept);
    const credentials = await NodeCredentials.start({ servers: [SERVER], nodeName: "n1", dataDir });
    expect(credentials.origin).toBe("kept");
    expect(credentials.certPem).toBe(kept.certPem);
    expect(credentials.clientConfig()).toEqual({
      server: SERVER,
      ca: ca.certPem,
      cert: kept.certPem,
      key: kept.keyPem,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    });
    // No --server given: the one the credentials were kept with.
    const again = await NodeCredentials.start({ servers: [], nodeName: "n1", dataDir });
    expect(again.serverUrl()).toBe(SERVER);
  });

  test("nothing kept and no token: a clear error", async () => {
    const attempt = NodeCredentials.start({
      servers: [SERVER],
      nodeName: "n1",
      dataDir: join(dir, "empty"),
    });
    await expect(attempt).rejects.toBeInstanceOf(JoinError);
    await expect(attempt).rejects.toThrow(
      "this node has not joined a cluster yet: pass --token and --ca-cert-hash",
    );
  });

  test("from the CA: issued once, kept, rotated on demand", async () => {
    const dataDir = join(dir, "from-ca");
    const first = await NodeCredentials.fromCertificateAuthority({
      ca,
      servers: [SERVER],
      nodeName: "server-node",
      dataDir,
    });
    expect(first.origin).toBe("issued");
    const info = certificateInfo(first.certPem);
    expect(info?.commonName).toBe("system:node:server-node");
    expect(info?.organizations).toEqual(["system:nodes"]);
    expect(await ca.verify(first.certPem)).toBe(true);

    const second = await NodeCredentials.fromCertificateAuthority({
      ca,
      servers: [SERVER],
      nodeName: "server-node",
      dataDir,
    });
    expect(second.origin).toBe("kept");
    expect(second.certPem).toBe(first.certPem);

    const rotated: string[] = [];
    second.onRotated((credentials) => rotated.push(credentials.certPem));
    await second.rotate();
    expect(second.certPem).not.toBe(first.certPem);
    expect(rotated).toEqual([second.certPem]);
    expect(second.client.config.cert).toBe(second.certPem);
    expect((await fileCredentialStore(dataDir).load())?.certPem).toBe(second.certPem);
  });

  test("rotation runs by itself when the renewal point comes", async () => {
    const credentials = await NodeCredentials.fromCertificateAuthority({
      ca,
      servers: [SERVER],
      nodeName: "short-lived",
      // Two seconds: renewal is due after 1.4 s (random 0 → 70 %).
      validityDays: 2 / 86_400,
      random: () => 0,
    });
    const original = credentials.certPem;
    credentials.startRotation();
    try {
      for (let i = 0; i < 100 && credentials.certPem === original; i++) await Bun.sleep(50);
    } finally {
      await credentials.stop();
    }
    expect(credentials.certPem).not.toBe(original);
    expect(credentials.client.config.cert).toBe(credentials.certPem);
  });
});

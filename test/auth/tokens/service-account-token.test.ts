import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  DEFAULT_ISSUER,
  EXTRA_CREDENTIAL_ID,
  EXTRA_NODE_NAME,
  EXTRA_NODE_UID,
  EXTRA_POD_NAME,
  EXTRA_POD_UID,
  exportSigningKeyPair,
  generateSigningKeyPair,
  importSigningKeyPair,
  keyIdFor,
  LEGACY_ISSUER,
  LEGACY_TOKEN_INVALID_SINCE_LABEL,
  ServiceAccountTokens,
  type SigningKeyPair,
} from "../../../src/auth/tokens/service-account-token.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { openssl, opensslBytes, scratchDir } from "../../tls/openssl.ts";
import { coreObject, memoryReader } from "./memory-reader.ts";

const NOW = new Date("2030-01-01T00:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const at = (seconds: number) => new Date((NOW_S + seconds) * 1000);

const account = coreObject("ServiceAccount", { namespace: "apps", name: "web", uid: "sa-uid" });
const pod = coreObject("Pod", { namespace: "apps", name: "web-0", uid: "pod-uid" });
const node = coreObject("Node", { name: "n1", uid: "node-uid" });
const boundSecret = coreObject("Secret", { namespace: "apps", name: "s1", uid: "secret-uid" });

function decode(token: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
} {
  const [header, payload] = token.split(".");
  const json = (part: string | undefined) =>
    JSON.parse(Buffer.from(part ?? "", "base64url").toString());
  return { header: json(header), claims: json(payload) };
}

function withMetadata(object: KubeObject, metadata: Record<string, unknown>): KubeObject {
  return { ...object, metadata: { ...object.metadata, ...metadata } };
}

describe("ServiceAccountTokens: bound tokens", () => {
  let keys: SigningKeyPair;
  let tokens: ServiceAccountTokens;

  beforeAll(async () => {
    keys = await generateSigningKeyPair();
    tokens = new ServiceAccountTokens({ keyPair: keys });
  });

  const issue = (extra: Partial<Parameters<ServiceAccountTokens["issue"]>[0]> = {}) =>
    tokens.issue({
      namespace: "apps",
      serviceAccount: { name: "web", uid: "sa-uid" },
      expirationSeconds: 3600,
      now: NOW,
      ...extra,
    });

  test("carries upstream's claims and an ES256 header with the key id", async () => {
    const { token, expirationTimestamp } = await issue();
    const { header, claims } = decode(token);
    expect(header).toEqual({ alg: "ES256", kid: keys.keyId });
    expect(claims).toMatchObject({
      iss: DEFAULT_ISSUER,
      sub: "system:serviceaccount:apps:web",
      aud: [DEFAULT_ISSUER],
      iat: NOW_S,
      nbf: NOW_S,
      exp: NOW_S + 3600,
      "kubernetes.io": { namespace: "apps", serviceaccount: { name: "web", uid: "sa-uid" } },
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(expirationTimestamp).toBe("2030-01-01T01:00:00Z");
  });

  test("authenticates as the service account with the credential id", async () => {
    const { token } = await issue();
    const user = await tokens.authenticate(token, memoryReader([account]), { now: at(10) });
    const { claims } = decode(token);
    expect(user).toEqual({
      user: "system:serviceaccount:apps:web",
      uid: "sa-uid",
      groups: ["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"],
      extra: { [EXTRA_CREDENTIAL_ID]: [`JTI=${claims.jti}`] },
    });
  });

  test("a pod-bound token names the pod and its node", async () => {
    const { token } = await issue({
      boundObject: { kind: "Pod", name: "web-0", uid: "pod-uid" },
      node: { name: "n1", uid: "node-uid" },
    });
    expect(decode(token).claims["kubernetes.io"]).toMatchObject({
      pod: { name: "web-0", uid: "pod-uid" },
      node: { name: "n1", uid: "node-uid" },
    });
    // The node of a pod-bound token is informational: no Node object needed.
    const user = await tokens.authenticate(token, memoryReader([account, pod]), { now: NOW });
    expect(user?.extra).toMatchObject({
      [EXTRA_POD_NAME]: ["web-0"],
      [EXTRA_POD_UID]: ["pod-uid"],
      [EXTRA_NODE_NAME]: ["n1"],
      [EXTRA_NODE_UID]: ["node-uid"],
    });
  });

  test("expires after exp plus a minute of leeway", async () => {
    const { token } = await issue();
    const reader = memoryReader([account]);
    expect(await tokens.authenticate(token, reader, { now: at(3600 + 59) })).not.toBeNull();
    await expect(tokens.authenticate(token, reader, { now: at(3600 + 61) })).rejects.toThrow(
      "service account token has expired",
    );
  });

  test("is not valid before nbf minus the leeway", async () => {
    const { token } = await issue();
    await expect(
      tokens.authenticate(token, memoryReader([account]), { now: at(-120) }),
    ).rejects.toThrow("not valid yet");
  });

  test("checks the audience against the API audiences or the requested ones", async () => {
    const { token } = await issue({ audiences: ["vault"] });
    const reader = memoryReader([account]);
    await expect(tokens.authenticate(token, reader, { now: NOW })).rejects.toThrow(
      'token audiences ["vault"] is invalid for the target audiences',
    );
    const user = await tokens.authenticate(token, reader, { now: NOW, audiences: ["vault"] });
    expect(user?.user).toBe("system:serviceaccount:apps:web");
  });

  test("fails once the service account is gone, replaced or deleted", async () => {
    const { token } = await issue();
    await expect(tokens.authenticate(token, memoryReader([]), { now: NOW })).rejects.toThrow(
      'serviceaccounts "web" not found',
    );
    const replaced = withMetadata(account, { uid: "other-uid" });
    await expect(
      tokens.authenticate(token, memoryReader([replaced]), { now: NOW }),
    ).rejects.toThrow("service account UID (other-uid) does not match claim (sa-uid)");
    const deleting = withMetadata(account, { deletionTimestamp: at(-120).toISOString() });
    await expect(
      tokens.authenticate(token, memoryReader([deleting]), { now: NOW }),
    ).rejects.toThrow("service account apps/web has been deleted");
  });

  test("a pod-bound token dies with its pod, but not during the pod's grace period", async () => {
    const { token } = await issue({ boundObject: { kind: "Pod", name: "web-0", uid: "pod-uid" } });
    const check = (objects: KubeObject[]) =>
      tokens.authenticate(token, memoryReader([account, ...objects]), { now: NOW });
    await expect(check([])).rejects.toThrow("service account token has been invalidated");
    await expect(check([withMetadata(pod, { uid: "new-pod" })])).rejects.toThrow(
      "pod UID (new-pod) does not match service account pod ref claim (pod-uid)",
    );
    // Graceful deletion sets deletionTimestamp to the end of the grace period.
    const terminating = withMetadata(pod, { deletionTimestamp: at(30).toISOString() });
    expect(await check([terminating])).not.toBeNull();
    const pastGrace = withMetadata(pod, { deletionTimestamp: at(-61).toISOString() });
    await expect(check([pastGrace])).rejects.toThrow("invalidated");
  });

  test("secret- and node-bound tokens need their object", async () => {
    const secretBound = await issue({
      boundObject: { kind: "Secret", name: "s1", uid: "secret-uid" },
    });
    expect(
      await tokens.authenticate(secretBound.token, memoryReader([account, boundSecret]), {
        now: NOW,
      }),
    ).not.toBeNull();
    await expect(
      tokens.authenticate(secretBound.token, memoryReader([account]), { now: NOW }),
    ).rejects.toThrow("invalidated");

    const nodeBound = await issue({ boundObject: { kind: "Node", name: "n1", uid: "node-uid" } });
    const user = await tokens.authenticate(nodeBound.token, memoryReader([account, node]), {
      now: NOW,
    });
    expect(user?.extra?.[EXTRA_NODE_NAME]).toEqual(["n1"]);
    await expect(
      tokens.authenticate(
        nodeBound.token,
        memoryReader([account, withMetadata(node, { uid: "x" })]),
        {
          now: NOW,
        },
      ),
    ).rejects.toThrow("node UID (x) does not match");
  });

  test("refuses a node next to a secret binding", async () => {
    await expect(
      issue({
        boundObject: { kind: "Secret", name: "s1", uid: "secret-uid" },
        node: { name: "n1", uid: "node-uid" },
      }),
    ).rejects.toThrow("bound to a pod");
  });

  test("rejects a token signed by another key or altered", async () => {
    const forger = new ServiceAccountTokens({ keyPair: await generateSigningKeyPair() });
    const forged = await forger.issue({
      namespace: "apps",
      serviceAccount: { name: "web", uid: "sa-uid" },
      expirationSeconds: 3600,
      now: NOW,
    });
    const reader = memoryReader([account]);
    await expect(tokens.authenticate(forged.token, reader, { now: NOW })).rejects.toThrow(
      "invalid signature",
    );
    const { token } = await issue();
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    claims.sub = "system:serviceaccount:kube-system:admin";
    const altered = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    await expect(tokens.authenticate(altered, reader, { now: NOW })).rejects.toThrow(
      "invalid signature",
    );
  });

  test("leaves tokens of other issuers and non-JWTs to other authenticators", async () => {
    const other = new ServiceAccountTokens({
      keyPair: keys,
      issuer: "https://elsewhere.example",
    });
    const { token } = await other.issue({
      namespace: "apps",
      serviceAccount: { name: "web", uid: "sa-uid" },
      expirationSeconds: 3600,
      now: NOW,
    });
    const reader = memoryReader([account]);
    expect(await tokens.authenticate(token, reader, { now: NOW })).toBeNull();
    expect(await tokens.authenticate("abcdef.0123456789abcdef", reader)).toBeNull();
    expect(await tokens.authenticate("a.b.c", reader)).toBeNull();
  });
});

describe("ServiceAccountTokens: legacy secret-based tokens", () => {
  let tokens: ServiceAccountTokens;
  let token: string;
  let secret: KubeObject;

  beforeAll(async () => {
    tokens = new ServiceAccountTokens({ keyPair: await generateSigningKeyPair() });
    token = await tokens.issueLegacy("apps", { name: "web", uid: "sa-uid" }, { name: "web-token" });
    secret = coreObject(
      "Secret",
      { namespace: "apps", name: "web-token", uid: "s-uid" },
      {
        type: "kubernetes.io/service-account-token",
        data: { token: Buffer.from(token).toString("base64") },
      },
    );
  });

  test("has the legacy claims and no expiry", () => {
    const { claims } = decode(token);
    expect(claims).toEqual({
      iss: LEGACY_ISSUER,
      sub: "system:serviceaccount:apps:web",
      "kubernetes.io/serviceaccount/namespace": "apps",
      "kubernetes.io/serviceaccount/secret.name": "web-token",
      "kubernetes.io/serviceaccount/service-account.name": "web",
      "kubernetes.io/serviceaccount/service-account.uid": "sa-uid",
    });
  });

  test("is valid while its secret holds it", async () => {
    const user = await tokens.authenticate(token, memoryReader([account, secret]));
    expect(user).toEqual({
      user: "system:serviceaccount:apps:web",
      uid: "sa-uid",
      groups: ["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"],
    });
  });

  test("dies with its secret, a changed secret, or a replaced account", async () => {
    const check = (objects: KubeObject[]) => tokens.authenticate(token, memoryReader(objects));
    await expect(check([account])).rejects.toThrow("token has been invalidated");
    const rotated = { ...secret, data: { token: Buffer.from("other").toString("base64") } };
    await expect(check([account, rotated])).rejects.toThrow("does not match server's copy");
    const opaque = { ...secret, type: "Opaque" };
    await expect(check([account, opaque])).rejects.toThrow("invalidated");
    const replaced = withMetadata(account, { uid: "new" });
    await expect(check([replaced, secret])).rejects.toThrow(
      "ServiceAccount UID (new) does not match claim (sa-uid)",
    );
    const marked = withMetadata(secret, {
      labels: { [LEGACY_TOKEN_INVALID_SINCE_LABEL]: "2029-12-01" },
    });
    await expect(check([account, marked])).rejects.toThrow("has been marked invalid");
  });
});

describe("signing keys", () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  test("keyIdFor is base64url SHA-256 of the DER public key, as openssl computes it", async () => {
    const pair = await generateSigningKeyPair();
    const { publicKeyPem } = await exportSigningKeyPair(pair);
    const der = opensslBytes(["pkey", "-pubin", "-outform", "der"], publicKeyPem);
    const digest = opensslBytes(["dgst", "-sha256", "-binary"], der);
    expect(await keyIdFor(pair.publicKey)).toBe(Buffer.from(digest).toString("base64url"));
    expect(pair.keyId).toBe(await keyIdFor(pair.publicKey));
  });

  test("round-trips through PKCS#8 and SPKI PEM that openssl reads", async () => {
    const pair = await generateSigningKeyPair();
    const pem = await exportSigningKeyPair(pair);
    expect(pem.privateKeyPem).toStartWith("-----BEGIN PRIVATE KEY-----");
    expect(pem.publicKeyPem).toStartWith("-----BEGIN PUBLIC KEY-----");
    const keyFile = scratch.file("sa.key", pem.privateKeyPem);
    expect(openssl(["pkey", "-in", keyFile, "-pubout"])).toBe(pem.publicKeyPem.trim().concat("\n"));

    const imported = await importSigningKeyPair(pem);
    expect(imported.keyId).toBe(pair.keyId);
    const issuedBefore = await new ServiceAccountTokens({ keyPair: pair }).issue({
      namespace: "apps",
      serviceAccount: { name: "web", uid: "sa-uid" },
      expirationSeconds: 600,
    });
    const user = await new ServiceAccountTokens({ keyPair: imported }).authenticate(
      issuedBefore.token,
      memoryReader([account]),
    );
    expect(user?.uid).toBe("sa-uid");
  });

  test("refuses a private key with someone else's public key", async () => {
    const [a, b] = await Promise.all([generateSigningKeyPair(), generateSigningKeyPair()]);
    const [pemA, pemB] = await Promise.all([exportSigningKeyPair(a), exportSigningKeyPair(b)]);
    await expect(
      importSigningKeyPair({ privateKeyPem: pemA.privateKeyPem, publicKeyPem: pemB.publicKeyPem }),
    ).rejects.toThrow("does not match");
  });
});

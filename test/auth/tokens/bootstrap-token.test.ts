import { describe, expect, test } from "bun:test";
import {
  authenticateBootstrapToken,
  bootstrapTokenSecret,
  bootstrapTokenUsable,
  generateBootstrapToken,
  isBootstrapTokenExpired,
  parseBootstrapToken,
  tokenFromSecret,
} from "../../../src/auth/tokens/bootstrap-token.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { memoryReader } from "./memory-reader.ts";

const NOW = new Date("2030-01-01T00:00:00Z");
const ID = "abcdef";
const SECRET = "0123456789abcdef";
const TOKEN = `${ID}.${SECRET}`;

function decodedData(secret: KubeObject): Record<string, string> {
  const data = secret.data as Record<string, string>;
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64").toString()]),
  );
}

// A Secret with some data values replaced (given decoded; undefined removes the key).
function edited(secret: KubeObject, changes: Record<string, string | undefined>): KubeObject {
  const data = { ...decodedData(secret), ...changes };
  const encoded = Object.entries(data)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => [key, Buffer.from(value).toString("base64")]);
  return { ...secret, data: Object.fromEntries(encoded) };
}

describe("bootstrap token strings", () => {
  test("generated tokens have the upstream form and differ", () => {
    const tokens = new Set(Array.from({ length: 50 }, generateBootstrapToken));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  });

  test("parse splits id and secret and refuses anything else", () => {
    expect(parseBootstrapToken(TOKEN)).toEqual({ id: ID, secret: SECRET });
    for (const bad of ["ABCDEF.0123456789abcdef", "abcde.0123456789abcdef", `${TOKEN}0`, "", "x"]) {
      expect(parseBootstrapToken(bad)).toBeNull();
    }
  });
});

describe("bootstrapTokenSecret", () => {
  test("is the kubeadm-style Secret with base64 data", () => {
    const secret = bootstrapTokenSecret({
      id: ID,
      secret: SECRET,
      description: "join n1",
      now: NOW,
    });
    expect(secret).toMatchObject({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "bootstrap-token-abcdef", namespace: "kube-system" },
      type: "bootstrap.kubernetes.io/token",
    });
    expect(secret.stringData).toBeUndefined();
    expect(decodedData(secret)).toEqual({
      "token-id": ID,
      "token-secret": SECRET,
      expiration: "2030-01-02T00:00:00Z",
      description: "join n1",
      "usage-bootstrap-authentication": "true",
      "usage-bootstrap-signing": "true",
      "auth-extra-groups": "system:bootstrappers:kubun:default-node-token",
    });
  });

  test("ttl 0 never expires; bad ids, groups and usages are refused", () => {
    const forever = bootstrapTokenSecret({ id: ID, secret: SECRET, ttlSeconds: 0 });
    expect(decodedData(forever).expiration).toBeUndefined();
    expect(() => bootstrapTokenSecret({ id: "ABCDEF", secret: SECRET })).toThrow("token id");
    expect(() => bootstrapTokenSecret({ id: ID, secret: SECRET, groups: ["admins"] })).toThrow(
      "bootstrap group",
    );
    expect(() =>
      bootstrapTokenSecret({ id: ID, secret: SECRET, usages: ["root" as "signing"] }),
    ).toThrow("unknown usage");
  });

  test("tokenFromSecret reads it back", () => {
    const secret = bootstrapTokenSecret({
      id: ID,
      secret: SECRET,
      usages: ["signing"],
      groups: ["system:bootstrappers:a", "system:bootstrappers:b"],
      now: NOW,
    });
    expect(tokenFromSecret(secret)).toEqual({
      id: ID,
      secret: SECRET,
      expiration: "2030-01-02T00:00:00Z",
      usages: ["signing"],
      groups: ["system:bootstrappers:a", "system:bootstrappers:b"],
    });
    const renamed = { ...secret, metadata: { ...secret.metadata, name: "bootstrap-token-zzzzzz" } };
    expect(tokenFromSecret(renamed)).toBeNull();
    expect(tokenFromSecret({ ...secret, type: "Opaque" })).toBeNull();
  });

  test("expiry and usability", () => {
    const info = tokenFromSecret(bootstrapTokenSecret({ id: ID, secret: SECRET, now: NOW }));
    if (info === null) throw new Error("no token");
    expect(isBootstrapTokenExpired(info, new Date("2030-01-01T23:59:59Z"))).toBe(false);
    expect(isBootstrapTokenExpired(info, new Date("2030-01-02T00:00:01Z"))).toBe(true);
    expect(isBootstrapTokenExpired({ ...info, expiration: "tomorrow" }, NOW)).toBe(true);
    expect(bootstrapTokenUsable(info, "signing", NOW)).toBe(true);
    expect(bootstrapTokenUsable({ ...info, usages: ["authentication"] }, "signing", NOW)).toBe(
      false,
    );
  });
});

describe("authenticateBootstrapToken", () => {
  const secret = bootstrapTokenSecret({ id: ID, secret: SECRET, now: NOW });
  const authenticate = (token: string, objects: KubeObject[], now = NOW) =>
    authenticateBootstrapToken(token, memoryReader(objects), now);

  test("authenticates as system:bootstrap:<id> with the bootstrap groups", () => {
    expect(authenticate(TOKEN, [secret])).toEqual({
      user: "system:bootstrap:abcdef",
      groups: [
        "system:bootstrappers",
        "system:bootstrappers:kubun:default-node-token",
        "system:authenticated",
      ],
    });
  });

  test("adds every valid extra group, once, sorted", () => {
    const groups = edited(secret, {
      "auth-extra-groups": "system:bootstrappers:z,system:bootstrappers:a,system:bootstrappers:z",
    });
    expect(authenticate(TOKEN, [groups])?.groups).toEqual([
      "system:bootstrappers",
      "system:bootstrappers:a",
      "system:bootstrappers:z",
      "system:authenticated",
    ]);
  });

  test("is null for an unknown, wrong, expired or unusable token", () => {
    expect(authenticate(TOKEN, [])).toBeNull();
    expect(authenticate(`${ID}.ffffffffffffffff`, [secret])).toBeNull();
    expect(authenticate("not-a-token", [secret])).toBeNull();
    expect(authenticate(TOKEN, [secret], new Date("2030-01-02T00:00:01Z"))).toBeNull();
    expect(
      authenticate(TOKEN, [edited(secret, { "usage-bootstrap-authentication": undefined })]),
    ).toBeNull();
    expect(authenticate(TOKEN, [edited(secret, { "token-id": "zzzzzz" })])).toBeNull();
    expect(authenticate(TOKEN, [edited(secret, { expiration: "soon" })])).toBeNull();
    expect(authenticate(TOKEN, [{ ...secret, type: "Opaque" }])).toBeNull();
    const deleting = {
      ...secret,
      metadata: { ...secret.metadata, deletionTimestamp: "2029-12-31T00:00:00Z" },
    };
    expect(authenticate(TOKEN, [deleting])).toBeNull();
  });

  test("an invalid extra group voids the whole token, as upstream", () => {
    const bad = edited(secret, { "auth-extra-groups": "system:bootstrappers:ok,system:masters" });
    expect(authenticate(TOKEN, [bad])).toBeNull();
  });
});

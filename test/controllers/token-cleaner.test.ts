import { afterEach, describe, expect, test } from "bun:test";
import { bootstrapTokenSecret } from "../../src/auth/tokens/bootstrap-token.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import { TokenCleaner, tokenExpiresInMs } from "../../src/controllers/token-cleaner.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { apiError, FakeClient, RecordingLogger } from "./fake-client.ts";

const now = new Date("2030-01-01T00:00:00Z");
const withExpiration = (expiration: string | undefined): KubeObject => ({
  type: "bootstrap.kubernetes.io/token",
  metadata: { name: "bootstrap-token-aaaaaa", namespace: "kube-system", uid: "u1" },
  data: expiration === undefined ? {} : { expiration: btoa(expiration) },
});

describe("tokenExpiresInMs", () => {
  test("is undefined for a token without expiration", () => {
    expect(tokenExpiresInMs(withExpiration(undefined), now)).toBeUndefined();
  });

  test("counts down to the expiration, with any RFC 3339 offset", () => {
    expect(tokenExpiresInMs(withExpiration("2030-01-01T00:01:00Z"), now)).toBe(60_000);
    expect(tokenExpiresInMs(withExpiration("2030-01-01T01:00:00+01:00"), now)).toBe(0);
    expect(tokenExpiresInMs(withExpiration("2030-01-01T02:00:00+01:00"), now)).toBe(3_600_000);
  });

  test("treats a past or unparseable expiration as expired", () => {
    expect(tokenExpiresInMs(withExpiration("2029-12-31T23:59:59Z"), now)).toBe(0);
    expect(tokenExpiresInMs(withExpiration("tomorrow"), now)).toBe(0);
    expect(tokenExpiresInMs(withExpiration("2030-01-02"), now)).toBe(0);
  });
});

describe("TokenCleaner", () => {
  let cleaner: TokenCleaner | undefined;
  afterEach(() => cleaner?.loop.stop());

  async function setUp(secret: KubeObject, clock: () => Date = () => now) {
    const fake = new FakeClient();
    const client = fake.asClient();
    cleaner = new TokenCleaner({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: clock,
    });
    cleaner.secrets.replace([secret], "1");
    // Take the key the add handler queued, so each test sees only what sync queues.
    const added = await cleaner.loop.queue.get();
    if (added !== undefined) cleaner.loop.queue.done(added);
    return { fake, cleaner };
  }

  const neverExpiring = bootstrapTokenSecret({
    id: "aaaaaa",
    secret: "0123456789abcdef",
    ttlSeconds: 0,
  });

  test("deletes an expired token, guarded by its uid", async () => {
    const expired = withExpiration("2029-12-31T00:00:00Z");
    const { fake, cleaner } = await setUp(expired);
    await cleaner.sync("kube-system/bootstrap-token-aaaaaa");
    expect(fake.writes()).toEqual([
      "delete /api/v1/namespaces/kube-system/secrets/bootstrap-token-aaaaaa",
    ]);
    expect(fake.actions[0]?.options).toEqual({ preconditions: { uid: "u1" } });
  });

  test("keeps a live token and looks again when it expires", async () => {
    const start = Date.now();
    const expiration = new Date(start + 50).toISOString();
    const { fake, cleaner } = await setUp(withExpiration(expiration), () => new Date());
    const key = "kube-system/bootstrap-token-aaaaaa";
    await cleaner.sync(key);
    expect(fake.actions).toEqual([]);
    expect(cleaner.loop.queue.length).toBe(0);
    expect(await cleaner.loop.queue.get()).toBe(key);
    expect(Date.now() - start).toBeGreaterThanOrEqual(30);
  });

  test("ignores a token already gone, but retries other failures", async () => {
    const { fake, cleaner } = await setUp(withExpiration("2029-12-31T00:00:00Z"));
    fake.respond = () => {
      throw apiError(404, "NotFound");
    };
    await cleaner.sync("kube-system/bootstrap-token-aaaaaa");
    fake.respond = () => {
      throw apiError(500, "InternalError");
    };
    await expect(cleaner.sync("kube-system/bootstrap-token-aaaaaa")).rejects.toThrow(
      "InternalError",
    );
  });

  test("leaves tokens without expiration alone", async () => {
    const { fake, cleaner } = await setUp(neverExpiring);
    await cleaner.sync("kube-system/bootstrap-token-aaaaaa");
    expect(fake.actions).toEqual([]);
    expect(cleaner.loop.queue.length).toBe(0);
  });
});

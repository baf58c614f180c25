import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { aesGcmTransformer } from "../../src/store/aes-gcm-transformer.ts";
import { type StoreFixture, storeFixture, take } from "../support/store.ts";

const key = new Uint8Array(32).fill(7);
const transformer = aesGcmTransformer(key, ["/registry/core/secrets/"]);
const secretKey = "/registry/core/secrets/default/s";
const plain = JSON.stringify({ data: { password: "cGxhaW50ZXh0LXBhc3N3b3Jk" } });

describe("aesGcmTransformer", () => {
  test("encrypts covered keys, round-trips, and leaves others alone", () => {
    const stored = transformer.toStorage(secretKey, plain);
    expect(stored).toStartWith("k8s:enc:aesgcm:v1:key1:");
    expect(stored).not.toContain("cGxhaW50ZXh0");
    expect(transformer.fromStorage(secretKey, stored)).toBe(plain);
    expect(transformer.toStorage("/registry/core/configmaps/default/c", plain)).toBe(plain);
    // A fresh nonce per write: the same value never encrypts the same way twice.
    expect(transformer.toStorage(secretKey, plain)).not.toBe(stored);
  });

  test("a value moved to another key, or read with another key, does not decrypt", () => {
    const stored = transformer.toStorage(secretKey, plain);
    expect(() => transformer.fromStorage("/registry/core/secrets/default/other", stored)).toThrow();
    const other = aesGcmTransformer(new Uint8Array(32).fill(8), ["/registry/core/secrets/"]);
    expect(() => other.fromStorage(secretKey, stored)).toThrow();
  });

  test("values written before encryption was on are read as they are", () => {
    expect(transformer.fromStorage(secretKey, plain)).toBe(plain);
  });
});

describe("a store with a transformer", () => {
  let fixture: StoreFixture;
  beforeAll(async () => {
    fixture = await storeFixture({ transformer });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  test("stores ciphertext but hands out plain values on every read path", async () => {
    const watcher = fixture.store.watch(
      "/registry/core/secrets/",
      await fixture.store.currentRevision(),
    );
    const remote = await fixture.open({ transformer });
    const remoteWatcher = remote.watch("/registry/core/secrets/", await remote.currentRevision());
    await fixture.store.create(secretKey, plain);
    const updated = plain.replace("cGxh", "ABCD");
    await fixture.store.update(secretKey, updated);

    const sql = fixture.db.connect();
    const rows = await sql<{ value: string }[]>`
      select value from kubun_history where key = ${secretKey}
      union all select value from kubun_current where key = ${secretKey}`;
    expect(rows.length).toBe(3);
    for (const row of rows) expect(row.value).toStartWith("k8s:enc:aesgcm:v1:");

    expect((await fixture.store.get(secretKey))?.value).toBe(updated);
    expect((await remote.get(secretKey))?.value).toBe(updated);
    expect((await remote.list("/registry/core/secrets/")).items.map((kv) => kv.value)).toEqual([
      updated,
    ]);
    // The writer's own watchers get its commits directly; another store reads them back.
    for (const events of [await take(watcher, 2), await take(remoteWatcher, 2)]) {
      expect(events.map((e) => e.value)).toEqual([plain, updated]);
      expect(events[1]?.prevValue).toBe(plain);
    }
    expect((await fixture.store.delete(secretKey)).prevValue).toBe(updated);
    watcher.close();
    remoteWatcher.close();
  });
});

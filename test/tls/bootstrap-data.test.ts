import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  bootstrapKey,
  generateServerToken,
  loadOrCreateBootstrapData,
  newBootstrapData,
  WrongTokenError,
} from "../../src/tls/bootstrap-data.ts";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { type StoreFixture, storeFixture } from "../support/store.ts";

let fixture: StoreFixture;

beforeAll(async () => {
  fixture = await storeFixture();
});

afterAll(async () => {
  await fixture?.close();
});

describe("server tokens", () => {
  test("are 256 random bits in hex, never read as a flag after --token", () => {
    const tokens = Array.from({ length: 200 }, () => generateServerToken());
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});

describe("cluster bootstrap data", () => {
  test("the first server creates it; another with the same token loads the same CA", async () => {
    const first = await loadOrCreateBootstrapData(fixture.store, "token-one", () =>
      newBootstrapData(),
    );
    expect(first.created).toBe(true);
    const other = await fixture.open();
    const second = await loadOrCreateBootstrapData(other, "token-one", () => newBootstrapData());
    expect(second.created).toBe(false);
    expect(second.data).toEqual(first.data);
    // Sealed: neither the CA key nor the encryption key is readable in the store.
    const stored = (await fixture.store.get(bootstrapKey))?.value ?? "";
    expect(stored).not.toContain("PRIVATE KEY");
    expect(stored).not.toContain(first.data.encryptionKey);
  });

  test("a wrong token is an error, never a second CA", async () => {
    const before = (await fixture.store.get(bootstrapKey))?.revision;
    const attempt = loadOrCreateBootstrapData(fixture.store, "token-two", () => newBootstrapData());
    await expect(attempt).rejects.toBeInstanceOf(WrongTokenError);
    expect((await fixture.store.get(bootstrapKey))?.revision).toBe(before);
  });

  test("servers racing to create it end up with one CA", async () => {
    const race = await storeFixture();
    try {
      const stores = [race.store, await race.open(), await race.open()];
      const results = await Promise.all(
        stores.map((store) => loadOrCreateBootstrapData(store, "t", () => newBootstrapData())),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.data.caCertPem)).size).toBe(1);
    } finally {
      await race.close();
    }
  });

  test("an existing CA is kept", async () => {
    const ca = await CertificateAuthority.create({ commonName: "kubun-ca" });
    const data = await newBootstrapData(ca);
    expect(data.caCertPem).toBe(ca.certPem);
    expect(data.caKeyPem).toBe(ca.keyPem);
  });
});

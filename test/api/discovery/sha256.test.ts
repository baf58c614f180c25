import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { sha256 } from "../../../src/api/discovery/sha256.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("sha256", () => {
  test("matches the FIPS 180-4 test vectors", () => {
    expect(hex(sha256(""))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(hex(sha256("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  test("pads correctly around block boundaries and hashes strings as UTF-8", () => {
    for (const length of [54, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const text = "é".repeat(length);
      expect(hex(sha256(text))).toBe(createHash("sha256").update(text).digest("hex"));
    }
    const bytes = new Uint8Array(777).map((_, i) => i * 7);
    expect(hex(sha256(bytes))).toBe(createHash("sha256").update(bytes).digest("hex"));
  });
});

import { describe, expect, test } from "bun:test";
import {
  GENERATED_NAME_ALPHABET,
  generateName,
  MAX_GENERATED_NAME_PREFIX_LENGTH,
  type RandomSource,
  randomNameSuffix,
} from "../../../src/resources/validation/generate-name.ts";

/** Fills with the given bytes, repeating them. */
function sequence(...values: number[]): RandomSource {
  let next = 0;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = values[next++ % values.length] as number;
  };
}

describe("generateName", () => {
  test("appends five characters from upstream's alphabet", () => {
    expect(GENERATED_NAME_ALPHABET).toBe("bcdfghjklmnpqrstvwxz2456789");
    for (let i = 0; i < 200; i++) {
      const name = generateName("web-");
      expect(name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    }
  });

  test("cuts the prefix to 58 characters so the name fits 63", () => {
    const name = generateName("a".repeat(80));
    expect(name).toHaveLength(63);
    expect(name.slice(0, MAX_GENERATED_NAME_PREFIX_LENGTH)).toBe("a".repeat(58));
  });

  test("maps random bytes by their low five bits", () => {
    expect(generateName("x-", sequence(0, 1, 2, 26, 0x20 | 3))).toBe("x-bcd9f");
  });

  test("skips draws past the alphabet instead of folding them", () => {
    expect(randomNameSuffix(3, sequence(27, 31, 0, 59, 1, 2))).toBe("bcd");
  });

  test("generated names differ", () => {
    const names = new Set(Array.from({ length: 100 }, () => generateName("p-")));
    expect(names.size).toBeGreaterThan(95);
  });
});

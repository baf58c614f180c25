/**
 * `metadata.generateName`: when a create request has no name, the server appends random
 * characters to the prefix. Done like upstream so generated names look the same and fit
 * the same limits.
 */

/** Consonants and digits without look-alikes, so generated names never spell words. */
export const GENERATED_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export const MAX_NAME_LENGTH = 63;
export const GENERATED_SUFFIX_LENGTH = 5;
/** Longest prefix kept, so prefix plus suffix fit a 63-character DNS label. */
export const MAX_GENERATED_NAME_PREFIX_LENGTH = MAX_NAME_LENGTH - GENERATED_SUFFIX_LENGTH;

/**
 * How many names a create with generateName tries before giving up on AlreadyExists.
 * Upstream chose 8: with retries, one prefix can generate about a million names with a
 * 0.1% chance of any create failing; without them a 0.1% chance is reached at ~500 names.
 */
export const GENERATE_NAME_MAX_ATTEMPTS = 8;

/** Fills the array with random bytes; Web Crypto's getRandomValues by default. */
export type RandomSource = (bytes: Uint8Array) => void;

const cryptoSource: RandomSource = (bytes) => {
  crypto.getRandomValues(bytes);
};

/**
 * `length` characters from GENERATED_NAME_ALPHABET, uniformly: 5-bit draws of 27 or
 * more are discarded rather than folded, which would favour the first letters.
 */
export function randomNameSuffix(
  length = GENERATED_SUFFIX_LENGTH,
  random: RandomSource = cryptoSource,
): string {
  let out = "";
  const bytes = new Uint8Array(16);
  while (out.length < length) {
    random(bytes);
    for (const byte of bytes) {
      const index = byte & 0x1f;
      if (index < GENERATED_NAME_ALPHABET.length) out += GENERATED_NAME_ALPHABET[index];
      if (out.length === length) break;
    }
  }
  return out;
}

/** The prefix cut to 58 characters, then five random characters. */
export function generateName(base: string, random: RandomSource = cryptoSource): string {
  const prefix =
    base.length > MAX_GENERATED_NAME_PREFIX_LENGTH
      ? base.slice(0, MAX_GENERATED_NAME_PREFIX_LENGTH)
      : base;
  return prefix + randomNameSuffix(GENERATED_SUFFIX_LENGTH, random);
}

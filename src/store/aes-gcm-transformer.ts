import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { ValueTransformer } from "./value-transformer.ts";

/** Marks an encrypted value (upstream's `k8s:enc:<provider>:v1:<key name>:` envelope). */
const PREFIX = "k8s:enc:aesgcm:v1:key1:";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts the values under the given key prefixes with AES-256-GCM (a fresh
 * random nonce per write; the key authenticates as additional data, so a value
 * copied to another key does not decrypt). Node's crypto is synchronous, which
 * the store's read paths need. Values without the prefix are read as they are:
 * they were written before encryption was on.
 */
export function aesGcmTransformer(key: Uint8Array, prefixes: readonly string[]): ValueTransformer {
  if (key.length !== 32) throw new Error("the encryption key must be 32 bytes");
  const covered = (storeKey: string) => prefixes.some((prefix) => storeKey.startsWith(prefix));
  return {
    toStorage(storeKey, value) {
      if (!covered(storeKey)) return value;
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      cipher.setAAD(Buffer.from(storeKey));
      const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
      return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64");
    },
    fromStorage(storeKey, value) {
      if (!value.startsWith(PREFIX)) return value;
      const raw = Buffer.from(value.slice(PREFIX.length), "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(storeKey));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const body = raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    },
  };
}

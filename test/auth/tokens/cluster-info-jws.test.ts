import { describe, expect, test } from "bun:test";
import { signDetached, verifyDetached } from "../../../src/auth/tokens/cluster-info-jws.ts";
import { openssl } from "../../tls/openssl.ts";

// Known answers from upstream's cluster-bootstrap jws tests: the header bytes
// and the key material must match for kubeadm to accept our signatures.
const CONTENT = "Hello from the other side. I must have called a thousand times.";
const ID = "joshua";
const SECRET = "my voice is my passcode";
const HEADER = "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9";

describe("cluster-info detached JWS", () => {
  test("matches upstream's signatures", async () => {
    expect(await signDetached(CONTENT, ID, SECRET)).toBe(
      `${HEADER}..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8`,
    );
    expect(await signDetached("", ID, SECRET)).toBe(
      `${HEADER}..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk`,
    );
    expect(await signDetached(CONTENT, ID, "")).toBe(
      `${HEADER}..UfkqvDGiIFxrMnFseDj9LYJOLNrvjW8aHhF71mvvAs8`,
    );
  });

  test("is HS256 keyed by the token secret over header.payload, as openssl computes it", async () => {
    const jws = await signDetached("apiVersion: v1\n", "abcdef", "0123456789abcdef");
    const [header, empty, signature] = jws.split(".");
    expect(JSON.parse(Buffer.from(header ?? "", "base64url").toString())).toEqual({
      alg: "HS256",
      kid: "abcdef",
    });
    expect(empty).toBe("");
    const input = `${header}.${Buffer.from("apiVersion: v1\n").toString("base64url")}`;
    const hex = openssl(["dgst", "-sha256", "-hmac", "0123456789abcdef", "-hex"], input)
      .trim()
      .split(" ")
      .at(-1);
    expect(Buffer.from(signature ?? "", "base64url").toString("hex")).toBe(hex ?? "");
  });

  test("verifies a round trip and detects tampering", async () => {
    const content = "kubeconfig contents";
    const jws = await signDetached(content, "abcdef", "0123456789abcdef");
    expect(await verifyDetached(jws, content, "abcdef", "0123456789abcdef")).toBe(true);
    expect(await verifyDetached(jws, `${content} `, "abcdef", "0123456789abcdef")).toBe(false);
    expect(await verifyDetached(jws, content, "abcdef", "0123456789abcdee")).toBe(false);
    expect(await verifyDetached(jws, content, "abcdeg", "0123456789abcdef")).toBe(false);
    expect(await verifyDetached(`${jws}foo`, content, "abcdef", "0123456789abcdef")).toBe(false);
    const flipped = jws.slice(0, -1) + (jws.endsWith("A") ? "B" : "A");
    expect(await verifyDetached(flipped, content, "abcdef", "0123456789abcdef")).toBe(false);
  });
});

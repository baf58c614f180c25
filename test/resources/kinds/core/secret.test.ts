import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { secretKind } from "../../../../src/resources/kinds/core/secret.ts";
import { create, type LooseObject, meta, update } from "./kind-harness.ts";

function secret(fields: Record<string, unknown> = {}, name = "creds"): LooseObject {
  return { apiVersion: "v1", kind: "Secret", metadata: meta(name), ...fields };
}

const b64 = (text: string) => btoa(text);

describe("secretKind defaults", () => {
  test("types a secret Opaque", () => {
    expect(create(secretKind, secret({ data: { a: b64("1") } })).object.type).toBe("Opaque");
  });

  test("folds stringData into data, overriding it", () => {
    const { object } = create(
      secretKind,
      secret({ data: { a: b64("old"), b: b64("kept") }, stringData: { a: "new" } }),
    );
    expect(object.data).toEqual({ a: b64("new"), b: b64("kept") });
    expect(object.stringData).toBeUndefined();
  });
});

describe("secretKind validate", () => {
  test.each<[string, KubeObject]>([
    ["an empty secret", secret()],
    [
      "a TLS secret",
      secret({ type: "kubernetes.io/tls", data: { "tls.crt": b64("c"), "tls.key": b64("k") } }),
    ],
    [
      "a docker config",
      secret({
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": b64('{"auths":{}}') },
      }),
    ],
    [
      "basic auth with only a username",
      secret({ type: "kubernetes.io/basic-auth", stringData: { username: "u" } }),
    ],
  ])("accepts %s", (_, input) => {
    expect(create(secretKind, input).messages).toEqual([]);
  });

  test.each<[string, KubeObject, string[]]>([
    [
      "a TLS secret without its keys",
      secret({ type: "kubernetes.io/tls", data: { "ca.crt": b64("c") } }),
      ["data[tls.crt]: Required value", "data[tls.key]: Required value"],
    ],
    [
      "a docker config secret without .dockerconfigjson",
      secret({ type: "kubernetes.io/dockerconfigjson", data: {} }),
      ["data[.dockerconfigjson]: Required value"],
    ],
    [
      "a docker config that is not a JSON object",
      secret({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": b64("[]") } }),
      [
        'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}',
      ],
    ],
    [
      "a service account token without its account",
      secret({ type: "kubernetes.io/service-account-token" }),
      ["metadata.annotations[kubernetes.io/service-account.name]: Required value"],
    ],
    [
      "a key with a slash",
      secret({ data: { "a/b": b64("x") } }),
      [
        "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    [
      "data that is not base64",
      secret({ data: { a: "not base64!" } }),
      ["data[a]: Invalid value: illegal base64 data at input byte 3"],
    ],
    [
      "more than 1 MiB of data",
      secret({ data: { a: btoa("x".repeat(1024 * 1024 + 1)) } }),
      ["data: Too long: may not be more than 1048576 bytes"],
    ],
  ])("rejects %s", (_, input, messages) => {
    expect(create(secretKind, input).messages).toEqual(messages);
  });
});

describe("secretKind update", () => {
  test("rejects a changed type", () => {
    const old = secret({ data: { a: b64("1") } });
    expect(
      update(secretKind, secret({ data: { a: b64("1") }, type: "example.com/custom" }), old)
        .messages,
    ).toEqual(['type: Invalid value: "example.com/custom": field is immutable']);
  });

  test("freezes data of an immutable secret", () => {
    const old = secret({ data: { a: b64("1") }, immutable: true });
    expect(
      update(secretKind, secret({ data: { a: b64("2") }, immutable: true }), old).messages,
    ).toEqual(["data: Forbidden: field is immutable when `immutable` is set"]);
  });

  test("allows new data in a mutable secret", () => {
    const old = secret({ data: { a: b64("1") } });
    expect(update(secretKind, secret({ data: { a: b64("2") } }), old).messages).toEqual([]);
  });
});

describe("secretKind selectableFields", () => {
  test("exposes the type", () => {
    const { object } = create(
      secretKind,
      secret({ type: "kubernetes.io/tls", data: { "tls.crt": "", "tls.key": "" } }),
    );
    expect(secretKind.selectableFields?.(object)).toEqual({ type: "kubernetes.io/tls" });
  });
});

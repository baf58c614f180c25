import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { buildOpenApiV3Index, openApiV3Body } from "../../../src/api/openapi/openapi-v3-index.ts";
import type { KindDefinition } from "../../../src/resources/kind.ts";
import { fixtureKinds } from "../discovery/fixture-kinds.ts";

const hashOf = (kinds: readonly KindDefinition[], path: string) =>
  /hash=([0-9A-F]+)$/.exec(buildOpenApiV3Index(kinds).paths[path]?.serverRelativeURL ?? "")?.[1];

describe("buildOpenApiV3Index", () => {
  test("points each document at /openapi/v3/<path>?hash=<digest>", () => {
    const index = buildOpenApiV3Index(fixtureKinds);
    expect(Object.keys(index.paths)).toEqual(
      expect.arrayContaining(["api", "api/v1", "apis", "apis/apps", "apis/apps/v1"]),
    );
    expect(index.paths["apis/apps/v1"]?.serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{64}$/,
    );
  });

  test("hashes the served bytes of the document", () => {
    const body = openApiV3Body(fixtureKinds, "api/v1");
    expect(body?.hash).toBe(hashOf(fixtureKinds, "api/v1"));
    expect(body?.hash).toBe(
      createHash("sha256")
        .update(body?.json ?? "")
        .digest("hex")
        .toUpperCase(),
    );
    expect(JSON.parse(body?.json ?? "{}").openapi).toBe("3.0.0");
    expect(openApiV3Body(fixtureKinds, "apis/batch/v1")).toBeUndefined();
  });

  test("gives the same hashes to an equal kind list built separately", () => {
    const copy = fixtureKinds.map((kind) => ({ ...kind }));
    for (const path of Object.keys(buildOpenApiV3Index(fixtureKinds).paths)) {
      expect({ path, hash: hashOf(copy, path) }).toEqual({
        path,
        hash: hashOf(fixtureKinds, path),
      });
    }
  });

  test("changes the hash of exactly the documents that change", () => {
    const withSecrets: KindDefinition[] = [
      ...fixtureKinds,
      {
        group: "",
        version: "v1",
        kind: "Secret",
        resource: "secrets",
        singular: "secret",
        namespaced: true,
        schemaRef: "core/v1.Secret",
        hasStatus: false,
      },
    ];
    expect(hashOf(withSecrets, "api/v1")).not.toBe(hashOf(fixtureKinds, "api/v1"));
    expect(hashOf(withSecrets, "apis/apps/v1")).toBe(hashOf(fixtureKinds, "apis/apps/v1"));
  });

  test("is built once per kind list", () => {
    expect(buildOpenApiV3Index(fixtureKinds)).toBe(buildOpenApiV3Index(fixtureKinds));
    expect(openApiV3Body(fixtureKinds, "api/v1")).toBe(openApiV3Body(fixtureKinds, "api/v1"));
  });
});

import { describe, expect, test } from "bun:test";
import { contentTypeFor } from "../../../src/api/discovery/content-type-for.ts";

const v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const v2beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/** How client-go reads the answer (ContentTypeIsGVK): base type and the g, v, as parameters. */
function parseLikeClientGo(contentType: string) {
  const [base, ...params] = contentType.split(";");
  return {
    base,
    params: Object.fromEntries(params.map((p) => p.split("=") as [string, string])),
  };
}

describe("contentTypeFor", () => {
  test("answers kubectl's Accept header with aggregated discovery v2", () => {
    const format = contentTypeFor(`${v2},${v2beta1},application/json`);
    expect(format).toEqual({ format: "aggregated", version: "v2", contentType: v2 });
    expect(parseLikeClientGo(format.contentType)).toEqual({
      base: "application/json",
      params: { g: "apidiscovery.k8s.io", v: "v2", as: "APIGroupDiscoveryList" },
    });
  });

  test("answers a client that only knows v2beta1 (kubectl 1.27) with v2beta1", () => {
    expect(contentTypeFor(`${v2beta1},application/json`)).toEqual({
      format: "aggregated",
      version: "v2beta1",
      contentType: v2beta1,
    });
  });

  test("answers plain JSON, wildcards and a missing header with legacy discovery", () => {
    for (const accept of [
      "application/json",
      "application/json, */*",
      "*/*",
      "",
      undefined,
      null,
    ]) {
      expect(contentTypeFor(accept)).toEqual({ format: "legacy", contentType: "application/json" });
    }
  });

  test("follows the client's order and q values", () => {
    expect(contentTypeFor(`application/json,${v2}`).format).toBe("legacy");
    expect(contentTypeFor(`application/json;q=0.5, ${v2}`).format).toBe("aggregated");
    expect(contentTypeFor(`${v2};q=0, application/json`).format).toBe("legacy");
  });

  test("skips what it does not serve and falls back to legacy JSON", () => {
    expect(
      contentTypeFor(
        "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
      ).format,
    ).toBe("legacy");
    expect(
      contentTypeFor("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"),
    ).toEqual({ format: "legacy", contentType: "application/json" });
    expect(contentTypeFor(`application/json;as=Table;v=v1;g=meta.k8s.io, ${v2beta1}`).format).toBe(
      "aggregated",
    );
  });

  test("reads parameters in any order and with spaces", () => {
    expect(
      contentTypeFor("application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io"),
    ).toEqual({ format: "aggregated", version: "v2", contentType: v2 });
  });
});

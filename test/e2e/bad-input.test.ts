import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ApiClient, apiClient } from "../support/api-client.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;
let api: ApiClient;
const configmaps = "/api/v1/namespaces/default/configmaps";

beforeAll(async () => {
  cluster = await startCluster();
  api = await apiClient(cluster.kubeconfig, cluster.url);
});
afterAll(() => cluster.stop());

async function status(response: Response) {
  const body = (await response.json()) as {
    kind: string;
    reason: string;
    code: number;
    message: string;
    details?: { causes?: { field: string }[] };
  };
  expect(body.kind).toBe("Status");
  expect(body.code).toBe(response.status);
  return body;
}

async function stored(name: string): Promise<boolean> {
  const rows = await cluster.db.connect({
    max: 1,
  })`select 1 from kubun_current where key = ${`/registry/core/configmaps/default/${name}`}`;
  return rows.length > 0;
}

const json = (value: unknown) => ({ body: JSON.stringify(value), contentType: "application/json" });

describe("bad requests get a Status and store nothing", () => {
  test("malformed JSON, YAML and protobuf are 400 BadRequest", async () => {
    for (const [body, contentType] of [
      ['{"metadata": {"name": "broken"', "application/json"],
      ["metadata: [name: broken", "application/yaml"],
      [
        new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff]),
        "application/vnd.kubernetes.protobuf",
      ],
    ] as const) {
      const response = await api.request("POST", configmaps, { body, contentType });
      expect(response.status).toBe(400);
      expect((await status(response)).reason).toBe("BadRequest");
    }
    expect(await stored("broken")).toBe(false);
  });

  test("an unknown content type is 415", async () => {
    const response = await api.request("POST", configmaps, {
      body: "x",
      contentType: "text/plain",
    });
    expect(response.status).toBe(415);
    expect((await status(response)).reason).toBe("UnsupportedMediaType");
  });

  test("a kind or apiVersion that does not match the URL is 400", async () => {
    const wrongKind = await api.request(
      "POST",
      configmaps,
      json({ apiVersion: "v1", kind: "Secret", metadata: { name: "mismatch" } }),
    );
    expect(wrongKind.status).toBe(400);
    expect((await status(wrongKind)).message).toContain(
      "does not match the expected kind (ConfigMap)",
    );
    const wrongVersion = await api.request(
      "POST",
      configmaps,
      json({ apiVersion: "apps/v1", kind: "ConfigMap", metadata: { name: "mismatch" } }),
    );
    expect(wrongVersion.status).toBe(400);
    expect(await stored("mismatch")).toBe(false);
  });

  test("an invalid name or a missing name is 422 Invalid with causes", async () => {
    const bad = await api.request("POST", configmaps, json({ metadata: { name: "Not_Valid" } }));
    expect(bad.status).toBe(422);
    const body = await status(bad);
    expect(body.reason).toBe("Invalid");
    expect(body.details?.causes?.[0]?.field).toBe("metadata.name");
    const missing = await api.request("POST", configmaps, json({ metadata: {} }));
    expect(missing.status).toBe(422);
    expect((await status(missing)).message).toContain("name or generateName is required");
    const pod = await api.request(
      "POST",
      "/api/v1/namespaces/default/pods",
      json({ metadata: { name: "p" }, spec: {} }),
    );
    expect(pod.status).toBe(422);
    expect((await status(pod)).message).toContain("spec.containers: Required value");
  });

  test("unknown fields: 400 under Strict, a Warning header under Warn", async () => {
    const strict = await api.request(
      "POST",
      `${configmaps}?fieldValidation=Strict`,
      json({ metadata: { name: "strict" }, dta: {} }),
    );
    expect(strict.status).toBe(400);
    expect((await status(strict)).message).toContain('unknown field "dta"');
    expect(await stored("strict")).toBe(false);
    const warn = await api.request(
      "POST",
      `${configmaps}?fieldValidation=Warn`,
      json({ metadata: { name: "warned" }, dta: {} }),
    );
    expect(warn.status).toBe(201);
    expect(warn.headers.get("warning")).toContain('unknown field \\"dta\\"');
  });

  test("a body over 3 MiB is 413", async () => {
    const response = await api.request(
      "POST",
      configmaps,
      json({ metadata: { name: "huge" }, data: { a: "x".repeat(3.5 * 1024 * 1024) } }),
    );
    expect(response.status).toBe(413);
    expect((await status(response)).reason).toBe("RequestEntityTooLarge");
    expect(await stored("huge")).toBe(false);
  });

  test("a stale resourceVersion is 409 Conflict", async () => {
    const created = (await (
      await api.request("POST", configmaps, json({ metadata: { name: "cas" }, data: { v: "1" } }))
    ).json()) as { metadata: { resourceVersion: string } };
    const first = await api.request(
      "PUT",
      `${configmaps}/cas`,
      json({
        metadata: { name: "cas", resourceVersion: created.metadata.resourceVersion },
        data: { v: "2" },
      }),
    );
    expect(first.status).toBe(200);
    const stale = await api.request(
      "PUT",
      `${configmaps}/cas`,
      json({
        metadata: { name: "cas", resourceVersion: created.metadata.resourceVersion },
        data: { v: "3" },
      }),
    );
    expect(stale.status).toBe(409);
    expect((await status(stale)).reason).toBe("Conflict");
  });

  test("a missing namespace is 404", async () => {
    const response = await api.request(
      "POST",
      "/api/v1/namespaces/nowhere/configmaps",
      json({ metadata: { name: "x" } }),
    );
    expect(response.status).toBe(404);
    expect((await status(response)).message).toBe('namespaces "nowhere" not found');
  });

  test("bad limit, continue and selectors are 400", async () => {
    for (const query of [
      "limit=abc",
      "continue=not-a-token",
      "labelSelector=a%20in%20(",
      "fieldSelector=spec.nothing%3Dx",
    ]) {
      const response = await api.request("GET", `${configmaps}?${query}`);
      expect(response.status).toBe(400);
      expect((await status(response)).reason).toBe("BadRequest");
    }
  });

  test("an unknown path is 404 and an unauthenticated request is 401", async () => {
    const missing = await api.request("GET", "/api/v1/nothings");
    expect(missing.status).toBe(404);
    const anonymous = await fetch(`${cluster.url}${configmaps}`, {
      tls: { rejectUnauthorized: false },
    } as RequestInit);
    expect(anonymous.status).toBe(401);
    const version = await fetch(`${cluster.url}/version`, {
      tls: { rejectUnauthorized: false },
    } as RequestInit);
    expect(version.status).toBe(200);
  });
});

describe("collections", () => {
  test("DELETE on a collection removes what the selector matches and nothing else", async () => {
    for (const [name, team] of [
      ["dc-1", "x"],
      ["dc-2", "x"],
      ["dc-3", "y"],
    ] as const) {
      await api.request("POST", configmaps, json({ metadata: { name, labels: { team } } }));
    }
    const response = await api.request("DELETE", `${configmaps}?labelSelector=team%3Dx`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      kind: string;
      items: { metadata: { name: string } }[];
    };
    expect(body.kind).toBe("ConfigMapList");
    expect(body.items.map((i) => i.metadata.name).sort()).toEqual(["dc-1", "dc-2"]);
    expect(await stored("dc-1")).toBe(false);
    expect(await stored("dc-3")).toBe(true);
  });
});

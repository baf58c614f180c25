/**
 * The real kubectl's field-validation decision against the served documents
 * (document-server.ts, which, like kubun, serves no CustomResourceDefinition
 * list). For a create-only kind (TokenReview, SubjectAccessReview) kubectl
 * finds no PATCH operation in OpenAPI v3, asks OpenAPI v2, and must end up
 * validating the object itself against OpenAPI v2 rather than listing CRDs
 * and failing with "failed to check CRD". Skipped when the versioned binaries
 * are not installed next to the kubectl on PATH.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { KindDefinition } from "../../../src/resources/kind.ts";
import { fixtureKinds } from "../discovery/fixture-kinds.ts";
import { type DocumentServer, startDocumentServer } from "./document-server.ts";

const onPath = Bun.which("kubectl");
const installed = ["kubectl.1.33", "kubectl.1.27"]
  .map((name) => ({ name, path: onPath ? join(dirname(realpathSync(onPath)), name) : "" }))
  .filter((b) => b.path && existsSync(b.path));

const review = (group: string, kind: string, resource: string): KindDefinition => ({
  group,
  version: "v1",
  kind,
  resource,
  singular: resource.slice(0, -1),
  namespaced: false,
  verbs: ["create"],
  schemaRef: `${group.split(".")[0]}/v1.${kind}`,
  hasStatus: false,
});

const kinds: readonly KindDefinition[] = [
  ...fixtureKinds,
  review("authentication.k8s.io", "TokenReview", "tokenreviews"),
  review("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews"),
];

const manifests: Record<string, string> = {
  "tokenreview.json": JSON.stringify({
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    spec: { token: "abc", audiences: ["api"] },
  }),
  "sar.yaml": `apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: alice
  groups: [devs]
  extra: {team: [a]}
  resourceAttributes: {namespace: default, verb: get, resource: pods}
`,
  "sar-unknown-field.yaml": `apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: alice
  resourceAttributes: {verb: get, resourcez: pods}
`,
  "tokenreview-unknown-field.json": JSON.stringify({
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    spec: { token: "abc", expires: true },
  }),
};

let server: DocumentServer;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "kubun-kubectl-validation-"));
  writeFileSync(join(work, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
  for (const [name, text] of Object.entries(manifests)) writeFileSync(join(work, name), text);
  server = startDocumentServer(kinds);
});

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function createDryRun(binary: string, manifest: string) {
  server.requests.length = 0;
  // A fresh cache directory per run: kubectl caches discovery and OpenAPI by server URL.
  const cache = mkdtempSync(join(work, "cache-"));
  const child = Bun.spawn(
    [
      binary,
      "--server",
      server.url,
      "--cache-dir",
      cache,
      "create",
      "--dry-run=client",
      "--validate=true",
      "-o",
      "name",
      "-f",
      join(work, manifest),
    ],
    {
      env: { ...process.env, KUBECONFIG: join(work, "kubeconfig") },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const paths = server.requests.map((r) => r.url.split("?")[0]);
  return { stdout, stderr, exitCode, paths };
}

describe.skipIf(installed.length === 0)("kubectl validates create-only kinds", () => {
  for (const { name, path } of installed) {
    test(`${name} creates a TokenReview without listing CRDs`, async () => {
      const result = await createDryRun(path, "tokenreview.json");
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim()).toBe("tokenreview.authentication.k8s.io/<unknown>");
      expect(result.paths).toContain("/openapi/v2");
      expect(result.paths).not.toContain("/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
    });

    test(`${name} creates a valid SubjectAccessReview`, async () => {
      const result = await createDryRun(path, "sar.yaml");
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim()).toBe("subjectaccessreview.authorization.k8s.io/<unknown>");
    });

    test(`${name} reports unknown fields from the OpenAPI v2 schema`, async () => {
      const sar = await createDryRun(path, "sar-unknown-field.yaml");
      expect(sar.exitCode).toBe(1);
      expect(sar.stderr).toContain(
        'ValidationError(SubjectAccessReview.spec.resourceAttributes): unknown field "resourcez" in io.k8s.api.authorization.v1.ResourceAttributes',
      );
      const token = await createDryRun(path, "tokenreview-unknown-field.json");
      expect(token.exitCode).toBe(1);
      expect(token.stderr).toContain(
        'ValidationError(TokenReview.spec): unknown field "expires" in io.k8s.api.authentication.v1.TokenReviewSpec',
      );
    });
  }
});

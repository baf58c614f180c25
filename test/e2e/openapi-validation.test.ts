/**
 * `kubectl create -f` of the create-only review kinds, with kubectl's default
 * validation. kubectl finds no PATCH operation of these kinds in OpenAPI v3,
 * asks OpenAPI v2, and (as against kube-apiserver) validates the object
 * itself against the OpenAPI v2 schema, instead of listing
 * CustomResourceDefinitions, which kubun does not serve ("failed to check
 * CRD: failed to list CRDs").
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { kubectlBinaries, startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster.stop());

const subjectAccessReview = `apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: alice
  groups: [system:masters]
  resourceAttributes:
    namespace: default
    verb: get
    resource: pods
`;

const tokenReview = JSON.stringify({
  apiVersion: "authentication.k8s.io/v1",
  kind: "TokenReview",
  spec: { token: "not-a-token" },
});

const versions = [
  ["1.27", kubectlBinaries.v127],
  ["1.33", kubectlBinaries.v133],
] as const;

describe.each(versions)("kubectl %s create -f of review kinds", (_label, binary) => {
  const create = (input: string, ...args: string[]) =>
    cluster.kubectl(["create", "-f", "-", ...args], { binary, input });

  test("creates a SubjectAccessReview and prints the server's answer", async () => {
    const result = await create(subjectAccessReview, "-o", "json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer.kind).toBe("SubjectAccessReview");
    expect(answer.status.allowed).toBe(true);
  });

  test("creates a TokenReview and prints the server's answer", async () => {
    const result = await create(tokenReview, "-o", "json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer.kind).toBe("TokenReview");
    expect(answer.spec.token).toBe("not-a-token");
    expect(answer.status.authenticated ?? false).toBe(false);
  });

  test("refuses an unknown field with kubectl's client-side validation error", async () => {
    const result = await create(
      subjectAccessReview.replace("resource: pods", "resourcez: pods"),
      "--validate=true",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error validating "STDIN": error validating data: ValidationError(SubjectAccessReview.spec.resourceAttributes): unknown field "resourcez" in io.k8s.api.authorization.v1.ResourceAttributes',
    );
    expect(result.stderr).not.toContain("CRD");
  });
});

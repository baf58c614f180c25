import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { kubectlBinaries, startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster.stop());

const manifest = (replicas: number, labels: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
  namespace: default
  labels: {${labels}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ssa}
  template:
    metadata:
      labels: {app: ssa}
    spec:
      containers:
      - name: web
        image: nginx:1.25
`;

const binary = kubectlBinaries.v133;
const apply = (input: string, ...flags: string[]) =>
  cluster.kubectl(["apply", "--server-side", ...flags, "-f", "-"], { binary, input });

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl.
async function deployment(): Promise<any> {
  return JSON.parse(
    await cluster.ok(["get", "deploy", "ssa", "-o", "json", "--show-managed-fields"], { binary }),
  );
}

describe("kubectl apply --server-side", () => {
  test("creates the object, owned by kubectl", async () => {
    const result = await apply(manifest(2, "app: ssa, tier: web"));
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("deployment.apps/ssa serverside-applied");
    const live = await deployment();
    expect(live.spec.replicas).toBe(2);
    expect(live.metadata.managedFields[0].manager).toBe("kubectl");
    expect(live.metadata.managedFields[0].fieldsV1["f:spec"]["f:replicas"]).toEqual({});
  });

  test("refuses another manager's different replica count with upstream's conflict", async () => {
    const result = await apply(manifest(3, "app: ssa"), "--field-manager=other");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
    );
    expect((await deployment()).spec.replicas).toBe(2);
  });

  test("--force-conflicts takes ownership and both managers are shown", async () => {
    const result = await apply(
      manifest(3, "app: ssa"),
      "--field-manager=other",
      "--force-conflicts",
    );
    expect(result.code).toBe(0);
    const live = await deployment();
    expect(live.spec.replicas).toBe(3);
    const entries = live.metadata.managedFields;
    expect(entries.map((e: { manager: string }) => e.manager).sort()).toEqual(["kubectl", "other"]);
    const kubectl = entries.find((e: { manager: string }) => e.manager === "kubectl");
    const other = entries.find((e: { manager: string }) => e.manager === "other");
    expect(kubectl.fieldsV1["f:spec"]["f:replicas"]).toBeUndefined();
    expect(other.fieldsV1["f:spec"]["f:replicas"]).toEqual({});
  });

  test("a label dropped from the applied file is removed", async () => {
    const result = await apply(manifest(3, "app: ssa"));
    expect(result.code).toBe(0);
    expect((await deployment()).metadata.labels).toEqual({ app: "ssa" });
  });

  test("a client-side edit conflicts with its manager named by version", async () => {
    await cluster.ok(["label", "deploy", "ssa", "team=blue"], { binary });
    const result = await apply(manifest(3, "app: ssa, team: red"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'conflict with "kubectl-label" using apps/v1: .metadata.labels.team',
    );
  });
});

import { describe, expect, test } from "bun:test";
import { applyConfiguration, recordUpdate } from "../../../src/api/apply/managed-fields.ts";
import { StatusError } from "../../../src/api/errors/status-error.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are read freely to state expectations.
type Loose = any;

const kind = { schemaRef: "apps/v1.Deployment", hasStatus: true };
const now = new Date("2024-05-01T10:00:00.123Z");

function config(replicas: number, labels: Record<string, string> = { app: "web" }): Loose {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels },
    spec: {
      replicas,
      template: { spec: { containers: [{ name: "web", image: "nginx:1.25" }] } },
    },
  };
}

function apply(live: KubeObject | null, applied: Loose, manager: string, force = false): Loose {
  return applyConfiguration({ kind, live, applied, manager, force, now });
}

function managers(object: Loose): string[] {
  return object.metadata.managedFields.map((e: Loose) => `${e.manager}/${e.operation}`);
}

describe("applyConfiguration", () => {
  test("records the applied fields as the manager's Apply entry", () => {
    const created = apply(null, config(2), "kubectl");
    expect(created.metadata.managedFields).toEqual([
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "apps/v1",
        time: "2024-05-01T10:00:00Z",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { "f:app": {} } },
          "f:spec": {
            "f:replicas": {},
            "f:template": {
              "f:spec": {
                "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } },
              },
            },
          },
        },
      },
    ]);
  });

  test("fails with upstream's conflict when another manager owns a changed field", () => {
    const created = apply(null, config(2), "kubectl");
    let caught: unknown;
    try {
      apply(created, config(3), "other");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StatusError);
    const status = (caught as StatusError).status;
    expect(status.code).toBe(409);
    expect(status.reason).toBe("Conflict");
    expect(status.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
    );
    expect(status.details?.causes).toEqual([
      {
        reason: "FieldManagerConflict",
        message: 'conflict with "kubectl"',
        field: ".spec.replicas",
      },
    ]);
  });

  test("names an Update manager with its apiVersion", () => {
    const created = config(2);
    recordUpdate({ kind, old: null, next: created, manager: "kubectl-client-side-apply", now });
    expect(() => apply(created, { ...config(3), metadata: { name: "web" } }, "kubectl")).toThrow(
      'conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
  });

  test("shares fields applied with the same value", () => {
    const created = apply(null, config(2), "kubectl");
    const shared = apply(created, config(2), "other");
    expect(managers(shared)).toEqual(["kubectl/Apply", "other/Apply"]);
    expect(shared.metadata.managedFields[0].fieldsV1["f:spec"]["f:replicas"]).toEqual({});
  });

  test("force takes ownership of the conflicting fields", () => {
    const created = apply(null, config(2), "kubectl");
    const forced = apply(created, config(3), "other", true);
    expect(forced.spec.replicas).toBe(3);
    const [kubectl, other] = forced.metadata.managedFields;
    expect(kubectl.fieldsV1["f:spec"]["f:replicas"]).toBeUndefined();
    expect(other.fieldsV1["f:spec"]["f:replicas"]).toEqual({});
  });

  test("removes a field the manager no longer applies", () => {
    const created = apply(null, config(2, { app: "web", tier: "front" }), "kubectl");
    const next = apply(created, config(2, { app: "web" }), "kubectl");
    expect(next.metadata.labels).toEqual({ app: "web" });
  });

  test("keeps a dropped field another manager also owns", () => {
    const created = apply(null, config(2, { app: "web", tier: "front" }), "kubectl");
    const shared = apply(created, config(2, { tier: "front" }), "other");
    const next = apply(shared, config(2, { app: "web" }), "kubectl");
    expect(next.metadata.labels).toEqual({ app: "web", tier: "front" });
  });

  test("removes a container the manager no longer applies", () => {
    const two = config(2);
    two.spec.template.spec.containers.push({ name: "sidecar", image: "busybox" });
    const created = apply(null, two, "kubectl");
    const next = apply(created, config(2), "kubectl");
    expect(next.spec.template.spec.containers.map((c: Loose) => c.name)).toEqual(["web"]);
  });

  test("keeps the time of an apply that changes nothing", () => {
    const created = apply(null, config(2), "kubectl");
    const again = applyConfiguration({
      kind,
      live: created,
      applied: config(2),
      manager: "kubectl",
      force: false,
      now: new Date("2024-06-01T00:00:00Z"),
    }) as Loose;
    expect(again.metadata.managedFields[0].time).toBe("2024-05-01T10:00:00Z");
  });

  test("requires a field manager", () => {
    expect(() => apply(null, config(1), "")).toThrow("must supply fieldManager");
  });
});

describe("recordUpdate", () => {
  test("moves changed fields to the writer and out of the applier's set", () => {
    const created = apply(null, config(2), "kubectl");
    const next = structuredClone(created);
    next.spec.replicas = 5;
    next.metadata.labels.extra = "yes";
    recordUpdate({ kind, old: created, next, manager: "kubectl-edit", now });
    expect(managers(next)).toEqual(["kubectl/Apply", "kubectl-edit/Update"]);
    const [applier, editor] = next.metadata.managedFields;
    expect(applier.fieldsV1["f:spec"]["f:replicas"]).toBeUndefined();
    expect(editor.fieldsV1).toEqual({
      "f:metadata": { "f:labels": { "f:extra": {} } },
      "f:spec": { "f:replicas": {} },
    });
  });

  test("leaves ownership alone when nothing changed", () => {
    const created = apply(null, config(2), "kubectl");
    const next = structuredClone(created);
    delete next.metadata.managedFields;
    recordUpdate({ kind, old: created, next, manager: "kubectl-edit", now });
    expect(next.metadata.managedFields).toEqual(created.metadata.managedFields);
  });

  test("accepts managedFields a client resets", () => {
    const created = apply(null, config(2), "kubectl");
    const next = structuredClone(created);
    next.metadata.managedFields = [];
    next.spec.replicas = 4;
    recordUpdate({ kind, old: created, next, manager: "kubectl-edit", now });
    expect(next.metadata.managedFields).toEqual([]);
  });

  test("folds old Update managers so the list stays bounded", () => {
    let object: Loose = apply(null, config(1), "kubectl");
    for (let i = 0; i < 14; i++) {
      const next = structuredClone(object);
      next.metadata.labels[`l${i}`] = "x";
      recordUpdate({
        kind,
        old: object,
        next,
        manager: `m${i}`,
        now: new Date(now.getTime() + i * 1000),
      });
      object = next;
    }
    const names = managers(object);
    expect(names.length).toBe(11);
    expect(names[0]).toBe("kubectl/Apply");
    expect(names).toContain("ancient-changes/Update");
    expect(names).toContain("m13/Update");
  });
});

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { printedResources } from "../../../src/resources/printers/printer-registry.ts";
import { columnsFor, rowFor, toTable } from "../../../src/resources/printers/table-printer.ts";
import { ago, minutes, now } from "./printer-fixtures.ts";

interface ReferenceColumn {
  name: string;
  type: string;
  format: string;
  priority: number;
}

interface ColumnsReference {
  defaultColumnsWhenNoHandler: ReferenceColumn[];
  resources: { group: string; resource: string | null; columns: ReferenceColumn[] }[];
}

const repo = resolve(import.meta.dir, "../../..");
const reference: ColumnsReference = JSON.parse(
  readFileSync(resolve(repo, "../shared/reference/kubectl-columns.json"), "utf8"),
);

function referenceColumns(group: string, resource: string): ReferenceColumn[] | undefined {
  return reference.resources.find((r) => r.group === group && r.resource === resource)?.columns;
}

function withoutDescriptions(group: string, resource: string): ReferenceColumn[] {
  return columnsFor(group, resource).map(({ name, type, format, priority }) => ({
    name,
    type,
    format,
    priority,
  }));
}

const nameDescription =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

const creationTimestampDescription =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

const pod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web",
    namespace: "default",
    uid: "4f6c2d1e",
    resourceVersion: "42",
    labels: { app: "web" },
    creationTimestamp: ago(minutes(3) + 12_000),
  },
  spec: { containers: [{ name: "app", image: "nginx" }] },
  status: {
    phase: "Running",
    containerStatuses: [{ name: "app", ready: true, state: { running: {} } }],
  },
};

describe("columnsFor", () => {
  test("gives the pod columns exactly as the reference lists them", () => {
    expect(withoutDescriptions("", "pods")).toEqual([
      { name: "Name", type: "string", format: "name", priority: 0 },
      { name: "Ready", type: "string", format: "", priority: 0 },
      { name: "Status", type: "string", format: "", priority: 0 },
      { name: "Restarts", type: "string", format: "", priority: 0 },
      { name: "Age", type: "string", format: "", priority: 0 },
      { name: "IP", type: "string", format: "", priority: 1 },
      { name: "Node", type: "string", format: "", priority: 1 },
      { name: "Nominated Node", type: "string", format: "", priority: 1 },
      { name: "Readiness Gates", type: "string", format: "", priority: 1 },
    ]);
    expect(withoutDescriptions("", "pods")).toEqual(referenceColumns("", "pods") ?? []);
  });

  test("carries upstream's descriptions", () => {
    const [name, ready, , , age] = columnsFor("", "pods");
    expect(name?.description).toBe(nameDescription);
    expect(ready?.description).toBe(
      "The aggregate readiness state of this pod for accepting traffic.",
    );
    expect(age?.description).toBe(creationTimestampDescription);
  });

  for (const key of printedResources()) {
    const dot = key.indexOf(".");
    const resource = dot < 0 ? key : key.slice(0, dot);
    const group = dot < 0 ? "" : key.slice(dot + 1);
    // events.k8s.io events print with the core Event columns, as upstream.
    const referenceGroup = key === "events.events.k8s.io" ? "" : group;
    test(`gives the ${key} columns as the reference lists them`, () => {
      const expected = referenceColumns(referenceGroup, resource);
      expect(expected).toBeDefined();
      expect(withoutDescriptions(group, resource)).toEqual(expected ?? []);
    });
  }

  test("gives a resource without a printer the default columns", () => {
    expect(withoutDescriptions("example.com", "widgets")).toEqual(
      reference.defaultColumnsWhenNoHandler,
    );
    expect(withoutDescriptions("rbac.authorization.k8s.io", "roles")).toEqual(
      reference.defaultColumnsWhenNoHandler,
    );
    expect(withoutDescriptions("", "limitranges")).toEqual(reference.defaultColumnsWhenNoHandler);
  });

  test("returns copies that callers may change", () => {
    const first = columnsFor("", "pods");
    (first[0] as { name: string }).name = "changed";
    expect(columnsFor("", "pods")[0]?.name).toBe("Name");
  });
});

describe("rowFor", () => {
  test("gives one cell per column, wide ones included", () => {
    expect(rowFor("", "pods", pod, now)).toEqual([
      "web",
      "1/1",
      "Running",
      "0",
      "3m12s",
      "<none>",
      "<none>",
      "<none>",
      "<none>",
    ]);
  });

  test("prints name and creation time in RFC 3339 UTC for a resource without a printer", () => {
    const widget: KubeObject = {
      metadata: { name: "w1", creationTimestamp: "2024-04-30T23:10:05.5+02:00" },
    };
    expect(rowFor("example.com", "widgets", widget, now)).toEqual(["w1", "2024-04-30T21:10:05Z"]);
    expect(rowFor("example.com", "widgets", { metadata: { name: "w2" } }, now)).toEqual([
      "w2",
      "0001-01-01T00:00:00Z",
    ]);
  });
});

describe("toTable", () => {
  test("builds a meta.k8s.io/v1 Table with PartialObjectMetadata rows by default", () => {
    const table = toTable("", "pods", [pod], {
      now,
      listMeta: { resourceVersion: "57", continue: "" },
    });
    expect(table).toEqual({
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion: "57" },
      columnDefinitions: columnsFor("", "pods"),
      rows: [
        {
          cells: ["web", "1/1", "Running", "0", "3m12s", "<none>", "<none>", "<none>", "<none>"],
          object: {
            kind: "PartialObjectMetadata",
            apiVersion: "meta.k8s.io/v1",
            metadata: pod.metadata ?? {},
          },
        },
      ],
    });
    // The JSON clients decode: ListMeta fields are omitempty, rows carry no conditions.
    expect(JSON.stringify(table.metadata)).toBe('{"resourceVersion":"57"}');
    expect(Object.keys(table.rows[0] ?? {})).toEqual(["cells", "object"]);
  });

  test("carries the whole object for includeObject=Object and none for None", () => {
    const whole = toTable("", "pods", [pod], { now, includeObject: "Object" });
    expect(whole.rows[0]?.object).toBe(pod);
    const none = toTable("", "pods", [pod], { now, includeObject: "None" });
    expect(none.rows[0]?.object).toBeNull();
    expect(JSON.stringify(none.rows[0])).toContain('"object":null');
  });

  test("copies continue and remainingItemCount of a paged list", () => {
    const table = toTable("", "pods", [], {
      now,
      listMeta: { resourceVersion: "9", continue: "token", remainingItemCount: 0 },
    });
    expect(table.metadata).toEqual({
      resourceVersion: "9",
      continue: "token",
      remainingItemCount: 0,
    });
    expect(table.rows).toEqual([]);
  });

  test("adds row conditions for finished pods", () => {
    const done = { ...pod, status: { phase: "Succeeded" } };
    const [row] = toTable("", "pods", [done], { now }).rows;
    expect(row?.conditions).toEqual([
      {
        type: "Completed",
        status: "True",
        reason: "Succeeded",
        message: "The pod has completed successfully.",
      },
    ]);
  });

  test("leaves the column definitions out for watch events after the first", () => {
    const table = toTable("", "pods", [pod], { now, noHeaders: true });
    expect(table.columnDefinitions).toEqual([]);
    expect(table.rows[0]?.cells[0]).toBe("web");
  });

  test("answers a meta.k8s.io/v1beta1 request in that version", () => {
    const table = toTable("", "pods", [pod], { now, apiVersion: "meta.k8s.io/v1beta1" });
    expect(table.apiVersion).toBe("meta.k8s.io/v1beta1");
    expect(table.rows[0]?.object).toMatchObject({ apiVersion: "meta.k8s.io/v1beta1" });
  });

  test("prints a resource without a printer with the default table", () => {
    const widget: KubeObject = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w1", namespace: "default", creationTimestamp: "2024-04-01T08:00:00Z" },
      spec: { size: 3 },
    };
    const table = toTable("example.com", "widgets", [widget], { now });
    expect(table.columnDefinitions).toEqual([
      { name: "Name", type: "string", format: "name", description: nameDescription, priority: 0 },
      {
        name: "Created At",
        type: "date",
        format: "",
        description: creationTimestampDescription,
        priority: 0,
      },
    ]);
    expect(table.rows).toEqual([
      {
        cells: ["w1", "2024-04-01T08:00:00Z"],
        object: {
          kind: "PartialObjectMetadata",
          apiVersion: "meta.k8s.io/v1",
          metadata: widget.metadata ?? {},
        },
      },
    ]);
  });
});

import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { eventsEventKind } from "../../../../src/resources/kinds/events/event.ts";
import { created, createErrors, updateErrors } from "../apps/kind-harness.ts";

function event(fields: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "web-1.17a2b3c4d5e6f708" },
    eventTime: "2024-05-01T10:00:00.000000Z",
    type: "Normal",
    reason: "Scheduled",
    action: "Binding",
    note: "Successfully assigned default/web-1 to node-1",
    reportingController: "kubun.io/scheduler",
    reportingInstance: "kubun-scheduler-server-1",
    regarding: { kind: "Pod", namespace: "default", name: "web-1", uid: "u1", apiVersion: "v1" },
    ...fields,
  };
}

describe("eventsEventKind", () => {
  test("accepts a structured event", () => {
    expect(createErrors(eventsEventKind, event())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    ["a missing event time", event({ eventTime: undefined }), ["eventTime: Required value"]],
    [
      "an unknown type",
      event({ type: "Info" }),
      ['type: Invalid value: "": has invalid value: Info'],
    ],
    [
      "a missing reporting controller",
      event({ reportingController: "" }),
      [
        "reportingController: Required value",
        `reportingController: Invalid value: "": name part must be non-empty`,
        `reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      ],
    ],
    [
      "a deprecated field set through the new API",
      event({ deprecatedCount: 3 }),
      ['count: Invalid value: "": needs to be unset'],
    ],
    [
      "an object in another namespace",
      event({ regarding: { kind: "Pod", namespace: "other", name: "web-1" } }),
      [],
    ],
    [
      "a series of one",
      event({ series: { count: 1, lastObservedTime: "2024-05-01T10:00:00.000000Z" } }),
      ['series.count: Invalid value: "": should be at least 2'],
    ],
    [
      "a long reason",
      event({ reason: "r".repeat(129) }),
      ['reason: Invalid value: "": can have at most 128 characters'],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`judges ${name}`, () => {
      expect(createErrors(eventsEventKind, input)).toEqual(expected);
    });
  }

  test("requires a cluster-scoped object's events to live in default or kube-system", () => {
    const node = { kind: "Node", name: "node-1" };
    expect(createErrors(eventsEventKind, event({ regarding: node }))).toEqual([]);
    const elsewhere = { ...event({ regarding: node }), metadata: { name: "n", namespace: "apps" } };
    expect(createErrors(eventsEventKind, elsewhere)).toEqual([
      'involvedObject.namespace: Invalid value: "": does not match event.namespace',
    ]);
  });

  test("rejects an update that changes the note", () => {
    const stored = created(eventsEventKind, event());
    expect(updateErrors(eventsEventKind, stored, event({ note: "changed" }))).toEqual([
      'message: Invalid value: "changed": field is immutable',
    ]);
    const series = { count: 2, lastObservedTime: "2024-05-01T10:05:00.000000Z" };
    expect(updateErrors(eventsEventKind, stored, event({ series }))).toEqual([]);
  });

  test("offers the field selectors of events, in this group's names", () => {
    expect(eventsEventKind.selectableFields?.(event())).toEqual({
      "regarding.kind": "Pod",
      "regarding.namespace": "default",
      "regarding.name": "web-1",
      "regarding.uid": "u1",
      "regarding.apiVersion": "v1",
      "regarding.resourceVersion": "",
      "regarding.fieldPath": "",
      reason: "Scheduled",
      reportingController: "kubun.io/scheduler",
      type: "Normal",
    });
  });
});

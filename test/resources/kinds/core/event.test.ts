import { describe, expect, test } from "bun:test";
import { eventKind } from "../../../../src/resources/kinds/core/event.ts";
import { create, type LooseObject, meta } from "./kind-harness.ts";

function event(fields: Record<string, unknown> = {}): LooseObject {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: meta("web.17a2b3c4d5e6f7a8"),
    involvedObject: {
      kind: "Pod",
      namespace: "default",
      name: "web",
      uid: "p-uid",
      apiVersion: "v1",
    },
    reason: "Scheduled",
    message: "Successfully assigned default/web to worker-1",
    type: "Normal",
    source: { component: "default-scheduler" },
    ...fields,
  };
}

describe("eventKind", () => {
  test("accepts a legacy event", () => {
    expect(create(eventKind, event()).messages).toEqual([]);
  });

  test("rejects an event in another namespace than its object", () => {
    expect(
      create(eventKind, event({ involvedObject: { kind: "Pod", namespace: "other", name: "web" } }))
        .messages,
    ).toEqual(['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  });

  test("requires the reporting fields on events with an eventTime", () => {
    const input = event({
      eventTime: "2025-01-01T00:00:00.000000Z",
      reportingComponent: "kubelet",
    });
    expect(create(eventKind, input).messages).toEqual([
      "reportingInstance: Required value",
      "action: Required value",
    ]);
  });

  test("exposes the involved object, reason, source and type", () => {
    expect(eventKind.selectableFields?.(event({ reportingComponent: "kubelet" }))).toEqual({
      "involvedObject.kind": "Pod",
      "involvedObject.namespace": "default",
      "involvedObject.name": "web",
      "involvedObject.uid": "p-uid",
      "involvedObject.apiVersion": "v1",
      "involvedObject.resourceVersion": "",
      "involvedObject.fieldPath": "",
      reason: "Scheduled",
      reportingComponent: "kubelet",
      source: "default-scheduler",
      type: "Normal",
    });
  });

  test("falls back to the reporting component as source", () => {
    const fields = eventKind.selectableFields?.(
      event({ source: {}, reportingComponent: "kubelet" }),
    );
    expect(fields?.source).toBe("kubelet");
  });
});

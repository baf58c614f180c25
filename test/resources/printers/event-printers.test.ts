import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { eventPrinters } from "../../../src/resources/printers/event-printers.ts";
import { ago, cellsByColumn, hours, minutes } from "./printer-fixtures.ts";

const columns = eventPrinters.events?.columns ?? [];

function coreEvent(fields: Record<string, unknown>): Record<string, unknown> {
  const object: KubeObject = {
    metadata: { name: "web.17c6f0a1", creationTimestamp: ago(hours(1)) },
    involvedObject: { kind: "Pod", name: "web", fieldPath: "spec.containers{app}" },
    type: "Normal",
    reason: "Pulled",
    message: "  Container image already present on machine\n",
    ...fields,
  };
  return cellsByColumn("", "events", object, columns);
}

describe("event printer", () => {
  test("prints every cell of a core/v1 event", () => {
    expect(
      coreEvent({
        source: { component: "kubelet", host: "n1" },
        firstTimestamp: ago(hours(2)),
        lastTimestamp: ago(minutes(5)),
        count: 4,
      }),
    ).toEqual({
      "Last Seen": "5m",
      Type: "Normal",
      Reason: "Pulled",
      Object: "pod/web",
      Subobject: "spec.containers{app}",
      Source: "kubelet, n1",
      Message: "Container image already present on machine",
      "First Seen": "120m",
      Count: 4,
      Name: "web.17c6f0a1",
    });
  });

  test("falls back to eventTime and counts a singleton once", () => {
    const cells = coreEvent({ eventTime: "2024-05-01T11:59:30.123456Z" });
    expect([cells["Last Seen"], cells["First Seen"], cells.Count]).toEqual(["29s", "29s", 1]);
  });

  test('prints "<unknown>" when the event has no time at all', () => {
    const cells = coreEvent({});
    expect([cells["Last Seen"], cells["First Seen"]]).toEqual(["<unknown>", "<unknown>"]);
  });

  test("takes the last time and count from a series", () => {
    const cells = coreEvent({
      eventTime: ago(hours(3)),
      series: { count: 12, lastObservedTime: ago(minutes(1)) },
    });
    expect([cells["Last Seen"], cells["First Seen"], cells.Count]).toEqual(["60s", "3h", 12]);
  });

  test("uses the reporting controller when the source is empty, and the bare kind without a name", () => {
    const cells = coreEvent({
      involvedObject: { kind: "Node" },
      reportingComponent: "kubun-controller",
      reportingInstance: "",
    });
    expect([cells.Object, cells.Source]).toEqual(["node", "kubun-controller"]);
  });

  test("prints an events.k8s.io event like the same core/v1 event", () => {
    const v1: KubeObject = {
      metadata: { name: "web.17c6f0a2", creationTimestamp: ago(hours(1)) },
      regarding: { kind: "Deployment", name: "web" },
      type: "Warning",
      reason: "FailedCreate",
      note: "quota exceeded",
      reportingController: "deployment-controller",
      reportingInstance: "kubun-1",
      eventTime: ago(minutes(9)),
      deprecatedCount: 2,
      deprecatedFirstTimestamp: ago(minutes(20)),
      deprecatedLastTimestamp: ago(minutes(4)),
    };
    const v1Columns = eventPrinters["events.events.k8s.io"]?.columns ?? [];
    expect(v1Columns).toEqual(columns);
    expect(cellsByColumn("events.k8s.io", "events", v1, v1Columns)).toEqual({
      "Last Seen": "4m",
      Type: "Warning",
      Reason: "FailedCreate",
      Object: "deployment/web",
      Subobject: "",
      Source: "deployment-controller, kubun-1",
      Message: "quota exceeded",
      "First Seen": "20m",
      Count: 2,
      Name: "web.17c6f0a2",
    });
  });
});

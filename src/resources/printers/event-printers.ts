/**
 * Events, from both APIs that serve them: core/v1 and events.k8s.io/v1. Upstream stores
 * one internal type behind both and prints it once, so an events.k8s.io event is first
 * read into the core/v1 field names (regarding → involvedObject, note → message, the
 * deprecated* fields → their old names) and then printed the same way.
 */
import type { KubeObject } from "../kind.ts";
import { nameOf } from "./object-meta-cells.ts";
import type { PrinterSet, ResourcePrinter } from "./resource-printer.ts";
import { column, nameDescription } from "./table-column.ts";
import { parseTimestamp, timestampSince } from "./timestamp-since.ts";

interface EventSeries {
  count?: number;
  lastObservedTime?: string | null;
}

/** The core/v1 Event fields the printer reads. */
interface CoreEvent {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; fieldPath?: string } | null;
  source?: { component?: string; host?: string } | null;
  /** core/v1 names ReportingController "reportingComponent" in JSON. */
  reportingComponent?: string;
  reportingInstance?: string;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  count?: number;
  series?: EventSeries | null;
}

interface EventsV1Event {
  type?: string;
  reason?: string;
  note?: string;
  regarding?: CoreEvent["involvedObject"];
  deprecatedSource?: CoreEvent["source"];
  reportingController?: string;
  reportingInstance?: string;
  deprecatedFirstTimestamp?: string | null;
  deprecatedLastTimestamp?: string | null;
  eventTime?: string | null;
  deprecatedCount?: number;
  series?: EventSeries | null;
}

const eventColumns = [
  column("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
  column("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
  column(
    "Reason",
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  ),
  column("Object", "The object that this event is about."),
  column(
    "Subobject",
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
    { priority: 1 },
  ),
  column(
    "Source",
    "The component reporting this event. Should be a short machine understandable string.",
    { priority: 1 },
  ),
  column("Message", "A human-readable description of the status of this operation."),
  column(
    "First Seen",
    "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
    { priority: 1 },
  ),
  column("Count", "The number of times this event has occurred.", { priority: 1 }),
  column("Name", nameDescription, { format: "name", priority: 1 }),
];

function fromEventsV1(event: EventsV1Event): CoreEvent {
  return {
    type: event.type,
    reason: event.reason,
    message: event.note,
    involvedObject: event.regarding,
    source: event.deprecatedSource,
    reportingComponent: event.reportingController,
    reportingInstance: event.reportingInstance,
    firstTimestamp: event.deprecatedFirstTimestamp,
    lastTimestamp: event.deprecatedLastTimestamp,
    eventTime: event.eventTime,
    count: event.deprecatedCount,
    series: event.series,
  };
}

/**
 * SOURCE: "component, host", each falling back to the reporting controller and instance
 * that newer clients set instead; the host part is left out when empty.
 */
function source(event: CoreEvent): string {
  const component = event.source?.component || event.reportingComponent || "";
  const instance = event.source?.host || event.reportingInstance || "";
  return instance ? `${component}, ${instance}` : component;
}

/**
 * LAST SEEN and FIRST SEEN fall back to eventTime (set by newer clients instead of the
 * deprecated timestamps); a series overrides the last time and the count, and a
 * singleton event without a count counts once.
 */
function eventCells(object: KubeObject, event: CoreEvent, now: Date): unknown[] {
  const firstSeen = parseTimestamp(event.firstTimestamp) ?? parseTimestamp(event.eventTime);
  const first = timestampSince(firstSeen, now);
  let last = timestampSince(parseTimestamp(event.lastTimestamp) ?? firstSeen, now);
  let count = event.count ?? 0;
  if (event.series) {
    last = timestampSince(event.series.lastObservedTime, now);
    count = event.series.count ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const kind = (event.involvedObject?.kind ?? "").toLowerCase();
  const involvedName = event.involvedObject?.name ?? "";
  return [
    last,
    event.type ?? "",
    event.reason ?? "",
    involvedName ? `${kind}/${involvedName}` : kind,
    event.involvedObject?.fieldPath ?? "",
    source(event),
    (event.message ?? "").trim(),
    first,
    count,
    nameOf(object),
  ];
}

const coreEventPrinter: ResourcePrinter = {
  columns: eventColumns,
  cells(object: KubeObject, now: Date): unknown[] {
    return eventCells(object, object as CoreEvent, now);
  },
};

const eventsV1Printer: ResourcePrinter = {
  columns: eventColumns,
  cells(object: KubeObject, now: Date): unknown[] {
    return eventCells(object, fromEventsV1(object as EventsV1Event), now);
  },
};

export const eventPrinters: PrinterSet = {
  events: coreEventPrinter,
  "events.events.k8s.io": eventsV1Printer,
};

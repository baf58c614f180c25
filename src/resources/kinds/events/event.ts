/**
 * events.k8s.io/v1 Event: the structured event API (`kubectl events`, client-go's new
 * recorder). Upstream stores these in the same place as core/v1 Events and validates
 * both through `pkg/apis/core/validation/events.go`; requests in this group get its strict
 * checks. Error paths name the fields of the internal (core) type, as upstream's do.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { isDNS1123Subdomain } from "../../validation/dns-name.ts";
import { type FieldError, invalid, required } from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { recordOf, stringOf } from "../core/json-value.ts";

const reportingInstanceLengthLimit = 128;
const actionLengthLimit = 128;
const reasonLengthLimit = 128;
const noteLengthLimit = 1024;

/** Fields fixed once an event is recorded; a repeat is reported through `series`. */
const immutableFields: readonly [string, string][] = [
  ["regarding", "involvedObject"],
  ["reason", "reason"],
  ["note", "message"],
  ["deprecatedSource", "source"],
  ["deprecatedFirstTimestamp", "firstTimestamp"],
  ["deprecatedLastTimestamp", "lastTimestamp"],
  ["deprecatedCount", "count"],
  ["type", "type"],
  ["eventTime", "eventTime"],
  ["action", "action"],
  ["related", "related"],
  ["reportingController", "reportingController"],
  ["reportingInstance", "reportingInstance"],
];

export const eventsEventKind: KindDefinition = {
  group: "events.k8s.io",
  version: "v1",
  kind: "Event",
  resource: "events",
  singular: "event",
  namespaced: true,
  shortNames: ["ev"],
  schemaRef: "events/v1.Event",
  hasStatus: false,

  validate: (object) => validateEvent(object),
  validateUpdate: (object, old) => validateEventUpdate(object, old),
  selectableFields: (object) => {
    const regarding = recordOf(object.regarding) ?? {};
    return {
      "regarding.kind": stringOf(regarding.kind),
      "regarding.namespace": stringOf(regarding.namespace),
      "regarding.name": stringOf(regarding.name),
      "regarding.uid": stringOf(regarding.uid),
      "regarding.apiVersion": stringOf(regarding.apiVersion),
      "regarding.resourceVersion": stringOf(regarding.resourceVersion),
      "regarding.fieldPath": stringOf(regarding.fieldPath),
      reason: stringOf(object.reason),
      reportingController: stringOf(object.reportingController),
      type: stringOf(object.type),
    };
  },
};

export function validateEvent(object: KubeObject): FieldError[] {
  const errors = validateLegacyEvent(object);
  errors.push(
    ...validateObjectMeta(object.metadata ?? {}, {
      namespaced: true,
      nameValidator: nameIsDNSSubdomain,
      standardFinalizersOnly: true,
    }),
  );
  errors.push(...validateSeries(object));
  if (!object.eventTime) errors.push(required(fieldPath("eventTime"), ""));
  const type = stringOf(object.type);
  if (type !== "Normal" && type !== "Warning") {
    errors.push(invalid(fieldPath("type"), "", `has invalid value: ${type}`));
  }
  // The deprecated fields exist only so core/v1 clients can read these events.
  if (object.deprecatedFirstTimestamp) {
    errors.push(invalid(fieldPath("firstTimestamp"), "", "needs to be unset"));
  }
  if (object.deprecatedLastTimestamp) {
    errors.push(invalid(fieldPath("lastTimestamp"), "", "needs to be unset"));
  }
  if (typeof object.deprecatedCount === "number" && object.deprecatedCount !== 0) {
    errors.push(invalid(fieldPath("count"), "", "needs to be unset"));
  }
  const source = recordOf(object.deprecatedSource) ?? {};
  if (stringOf(source.component) !== "" || stringOf(source.host) !== "") {
    errors.push(invalid(fieldPath("source"), "", "needs to be unset"));
  }
  return errors;
}

export function validateEventUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  for (const [field, internalName] of immutableFields) {
    errors.push(...validateImmutable(old[field], object[field], fieldPath(internalName)));
  }
  return errors;
}

/** The checks every event passes whatever API wrote it (upstream's legacyValidateEvent). */
function validateLegacyEvent(object: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const namespace = object.metadata?.namespace ?? "";
  const regardingNamespace = stringOf(recordOf(object.regarding)?.namespace);
  const regardingPath = fieldPath("involvedObject", "namespace");
  if (!object.eventTime) {
    // Old-style events: the event lives in its object's namespace ("default" for
    // cluster-scoped objects, for old clients).
    const matches =
      regardingNamespace === ""
        ? namespace === "" || namespace === "default"
        : namespace === regardingNamespace;
    if (!matches)
      errors.push(invalid(regardingPath, regardingNamespace, "does not match event.namespace"));
  } else {
    if (regardingNamespace === "" && namespace !== "default" && namespace !== "kube-system") {
      errors.push(invalid(regardingPath, regardingNamespace, "does not match event.namespace"));
    }
    const controller = stringOf(object.reportingController);
    if (controller === "") errors.push(required(fieldPath("reportingController"), ""));
    for (const message of isQualifiedName(controller)) {
      errors.push(invalid(fieldPath("reportingController"), controller, message));
    }
    errors.push(
      ...validateLimitedText(
        object.reportingInstance,
        "reportingInstance",
        reportingInstanceLengthLimit,
        true,
      ),
    );
    errors.push(...validateLimitedText(object.action, "action", actionLengthLimit, true));
    errors.push(...validateLimitedText(object.reason, "reason", reasonLengthLimit, true));
    errors.push(...validateLimitedText(object.note, "message", noteLengthLimit, false));
  }
  for (const message of isDNS1123Subdomain(namespace)) {
    errors.push(invalid(fieldPath("namespace"), namespace, message));
  }
  return errors;
}

function validateLimitedText(
  value: unknown,
  field: string,
  limit: number,
  isRequired: boolean,
): FieldError[] {
  const text = stringOf(value);
  const errors: FieldError[] = [];
  if (isRequired && text === "") errors.push(required(fieldPath(field), ""));
  if (text.length > limit) {
    errors.push(invalid(fieldPath(field), "", `can have at most ${limit} characters`));
  }
  return errors;
}

function validateSeries(object: KubeObject): FieldError[] {
  const series = recordOf(object.series);
  if (series === undefined) return [];
  const errors: FieldError[] = [];
  const count = typeof series.count === "number" ? series.count : 0;
  if (count < 2) errors.push(invalid(fieldPath("series.count"), "", "should be at least 2"));
  if (!series.lastObservedTime) errors.push(required(fieldPath("series.lastObservedTime"), ""));
  return errors;
}

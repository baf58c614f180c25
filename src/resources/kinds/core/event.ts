/**
 * Event (core/v1): the legacy event API kubectl and most controllers write. Upstream
 * applies only its "legacy" checks to core/v1 events (strict ones are for
 * events.k8s.io/v1), so old clients keep working.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { isDNS1123Subdomain } from "../../validation/dns-name.ts";
import { type FieldError, invalid, required } from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { utf8Length } from "../../validation/validation-messages.ts";
import { recordOf, stringOf } from "./json-value.ts";

const lengthLimits: [field: string, limit: number][] = [
  ["reportingInstance", 128],
  ["action", 128],
  ["reason", 128],
  ["message", 1024],
];

function validateEvent(event: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const namespace = stringOf(event.metadata?.namespace);
  const involvedNamespace = stringOf(recordOf(event.involvedObject)?.namespace);
  const involvedPath = fieldPath("involvedObject", "namespace");
  const mismatch = () => invalid(involvedPath, involvedNamespace, "does not match event.namespace");
  if (!event.eventTime) {
    // Cluster-scoped objects' events live in "default" (or nowhere, for old clients).
    if (involvedNamespace === "") {
      if (namespace !== "" && namespace !== "default") errors.push(mismatch());
    } else if (namespace !== involvedNamespace) {
      errors.push(mismatch());
    }
  } else {
    if (involvedNamespace === "" && namespace !== "default" && namespace !== "kube-system") {
      errors.push(mismatch());
    }
    const controller = stringOf(event.reportingComponent);
    if (controller === "") errors.push(required(fieldPath("reportingController"), ""));
    errors.push(
      ...isQualifiedName(controller).map((m) =>
        invalid(fieldPath("reportingController"), controller, m),
      ),
    );
    for (const [field, limit] of lengthLimits) {
      const value = stringOf(event[field]);
      if (value === "" && field !== "message") errors.push(required(fieldPath(field), ""));
      if (utf8Length(value) > limit) {
        errors.push(invalid(fieldPath(field), "", `can have at most ${limit} characters`));
      }
    }
  }
  errors.push(
    ...isDNS1123Subdomain(namespace).map((m) => invalid(fieldPath("namespace"), namespace, m)),
  );
  return errors;
}

export const eventKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "Event",
  resource: "events",
  singular: "event",
  namespaced: true,
  schemaRef: "core/v1.Event",
  hasStatus: false,
  shortNames: ["ev"],
  validate: validateEvent,

  selectableFields(event) {
    const involved = recordOf(event.involvedObject) ?? {};
    const source = stringOf(recordOf(event.source)?.component);
    const reportingComponent = stringOf(event.reportingComponent);
    return {
      "involvedObject.kind": stringOf(involved.kind),
      "involvedObject.namespace": stringOf(involved.namespace),
      "involvedObject.name": stringOf(involved.name),
      "involvedObject.uid": stringOf(involved.uid),
      "involvedObject.apiVersion": stringOf(involved.apiVersion),
      "involvedObject.resourceVersion": stringOf(involved.resourceVersion),
      "involvedObject.fieldPath": stringOf(involved.fieldPath),
      reason: stringOf(event.reason),
      reportingComponent,
      // Events from the new API carry only the reporting controller.
      source: source === "" ? reportingComponent : source,
      type: stringOf(event.type),
    };
  },
};

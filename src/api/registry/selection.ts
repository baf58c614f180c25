import { FieldSelector, InvalidFieldSelectorError } from "../../resources/fields/field-selector.ts";
import type { KindDefinition, KubeObject } from "../../resources/kind.ts";
import { InvalidLabelSelectorError, LabelSelector } from "../../resources/labels/label-selector.ts";
import { badRequest } from "../errors/status-error.ts";

/**
 * Which objects a list or watch wants: label and field selectors together. `index`
 * names a field the selector requires to equal a value, which lets the watch cache
 * hand a watch only the events that can concern it.
 */
export interface ObjectPredicate {
  (object: KubeObject): boolean;
  index?: { field: string; value: string };
}

/** The field-selector values of an object: metadata.name, metadata.namespace and the kind's own. */
export function objectFields(kind: KindDefinition, object: KubeObject): Record<string, string> {
  const fields: Record<string, string> = { "metadata.name": object.metadata?.name ?? "" };
  if (kind.namespaced) fields["metadata.namespace"] = object.metadata?.namespace ?? "";
  if (kind.selectableFields) Object.assign(fields, kind.selectableFields(object));
  return fields;
}

/** The field labels a kind supports, found by asking its hook about an empty object. */
function supportedFields(kind: KindDefinition): string[] {
  try {
    return Object.keys(objectFields(kind, { metadata: {}, spec: {}, status: {} }));
  } catch {
    return ["metadata.name", "metadata.namespace"];
  }
}

/** Parses `labelSelector` and `fieldSelector` query values; bad ones are a 400. */
export function selectionPredicate(
  kind: KindDefinition,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
): ObjectPredicate | null {
  let labels: LabelSelector | null = null;
  let fields: FieldSelector | null = null;
  try {
    if (labelSelector) labels = LabelSelector.parse(labelSelector);
    if (fieldSelector) {
      fields = FieldSelector.parse(fieldSelector);
      fields.assertSupported(supportedFields(kind));
    }
  } catch (error) {
    if (error instanceof InvalidLabelSelectorError || error instanceof InvalidFieldSelectorError) {
      throw badRequest(error.message);
    }
    throw error;
  }
  if (!labels && !fields) return null;
  const predicate: ObjectPredicate = (object) =>
    (!labels || labels.matches(object.metadata?.labels ?? {})) &&
    (!fields || fields.matches(objectFields(kind, object)));
  const required = fields?.requirements().find((term) => term.operator === "=");
  if (required) predicate.index = { field: required.field, value: required.value };
  return predicate;
}

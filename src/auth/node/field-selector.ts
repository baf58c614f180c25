import { FieldSelector } from "../../resources/fields/field-selector.ts";

/**
 * Whether a raw field selector ("spec.nodeName=n1,status.phase!=Failed") has a
 * `field=value` (or `field==value`) term: such a selector can only match
 * objects with that value, whatever its other terms say. A selector that does
 * not parse scopes nothing.
 */
export function selectorPins(selector: string | undefined, field: string, value: string): boolean {
  return pinnedValues(selector, field).includes(value);
}

/** The single value a selector pins a field to, if it pins exactly one. */
export function selectorPinnedValue(
  selector: string | undefined,
  field: string,
): string | undefined {
  const values = pinnedValues(selector, field);
  return values.length === 1 ? values[0] : undefined;
}

function pinnedValues(selector: string | undefined, field: string): string[] {
  if (!selector) return [];
  let parsed: FieldSelector;
  try {
    parsed = FieldSelector.parse(selector);
  } catch {
    return [];
  }
  return parsed
    .requirements()
    .filter((term) => term.field === field && term.operator === "=")
    .map((term) => term.value);
}

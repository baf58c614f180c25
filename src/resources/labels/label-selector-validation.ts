/**
 * Validation of `metav1.LabelSelector` fields inside objects (`spec.selector` of a
 * Deployment, a NetworkPolicy's podSelector…): field errors at the selector's own path,
 * for the API layer's 422 response. `LabelSelector.fromObject` converts; this reports.
 */
import { type FieldError, forbidden, invalid, required } from "../validation/field-error.ts";
import type { FieldPath } from "../validation/field-path.ts";
import { validateLabelName, validateLabels } from "../validation/labels-and-annotations.ts";
import { isValidLabelValue } from "../validation/qualified-name.ts";
import type { MetaV1LabelSelector, MetaV1LabelSelectorRequirement } from "./label-selector.ts";

export interface LabelSelectorValidationOptions {
  /** Accept invalid values already stored before validation tightened (updates only). */
  allowInvalidLabelValueInSelector?: boolean;
  /** Accept any operator, for checks that only look at the selector's shape. */
  allowUnknownOperatorInRequirement?: boolean;
}

export function validateLabelSelector(
  selector: MetaV1LabelSelector | null | undefined,
  path: FieldPath,
  options: LabelSelectorValidationOptions = {},
): FieldError[] {
  if (selector === null || selector === undefined) return [];
  const errors = validateLabels(selector.matchLabels ?? undefined, path.child("matchLabels"));
  (selector.matchExpressions ?? []).forEach((expression, i) => {
    errors.push(
      ...validateLabelSelectorRequirement(
        expression,
        path.child("matchExpressions").index(i),
        options,
      ),
    );
  });
  return errors;
}

export function validateLabelSelectorRequirement(
  requirement: MetaV1LabelSelectorRequirement,
  path: FieldPath,
  options: LabelSelectorValidationOptions = {},
): FieldError[] {
  const errors: FieldError[] = [];
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) {
        errors.push(
          required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
        );
      }
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0) {
        errors.push(
          forbidden(
            path.child("values"),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      }
      break;
    default:
      if (!options.allowUnknownOperatorInRequirement) {
        errors.push(
          invalid(path.child("operator"), requirement.operator, "not a valid selector operator"),
        );
      }
  }
  errors.push(...validateLabelName(requirement.key, path.child("key")));
  if (!options.allowInvalidLabelValueInSelector) {
    values.forEach((value, i) => {
      for (const message of isValidLabelValue(value)) {
        errors.push(invalid(path.child("values").index(i), value, message));
      }
    });
  }
  return errors;
}

/** Whether a stored selector holds a value today's rules reject (to set the allow option). */
export function labelSelectorHasInvalidLabelValue(
  selector: MetaV1LabelSelector | null | undefined,
): boolean {
  for (const expression of selector?.matchExpressions ?? []) {
    for (const value of expression.values ?? []) {
      if (isValidLabelValue(value).length > 0) return true;
    }
  }
  return false;
}

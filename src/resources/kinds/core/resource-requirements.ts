/**
 * Resource lists (`requests`, `limits`, quota `hard`, node `capacity`): parsing their
 * quantities, checking names and values, and the request-within-limit rule, with
 * upstream's paths and messages.
 */
import { Quantity, QuantityParseError, Scale } from "../../quantity/quantity.ts";
import { isDNS1123Label } from "../../validation/dns-name.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notFound,
  required,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { isRecord, recordList, stringOf } from "./json-value.ts";
import {
  isExtendedResourceName,
  isHugePageResourceName,
  isIntegerResourceName,
  isNativeResource,
  isOvercommitAllowed,
  isStandardContainerResourceName,
  isStandardQuotaResourceName,
  isStandardResourceName,
} from "./resource-names.ts";

export const NEGATIVE_MESSAGE = "must be greater than or equal to 0";
const notIntegerMessage = "must be an integer";
const invalidQuotaResourceMessage = "must be a standard resource for quota";

/**
 * A quantity from its JSON value. Upstream rejects malformed quantities while decoding
 * (a 400); here the body is already JSON, so the same message is reported at the field.
 */
export function parseQuantityValue(
  raw: unknown,
  path: FieldPath,
): { quantity?: Quantity; errors: FieldError[] } {
  if (typeof raw !== "string" && typeof raw !== "number") {
    return { errors: [invalid(path, raw, "quantities must be a string or a number")] };
  }
  try {
    return { quantity: Quantity.fromJSON(raw), errors: [] };
  } catch (error) {
    if (error instanceof QuantityParseError) return { errors: [invalid(path, raw, error.message)] };
    throw error;
  }
}

/** Parses every entry of a resource list; entries that fail are reported, not returned. */
export function parseResourceList(
  list: unknown,
  path: FieldPath,
): { quantities: Map<string, Quantity>; errors: FieldError[] } {
  const quantities = new Map<string, Quantity>();
  const errors: FieldError[] = [];
  if (!isRecord(list)) return { quantities, errors };
  for (const [name, raw] of Object.entries(list)) {
    const parsed = parseQuantityValue(raw, path.key(name));
    errors.push(...parsed.errors);
    if (parsed.quantity) quantities.set(name, parsed.quantity);
  }
  return { quantities, errors };
}

/**
 * Rewrites every quantity of a resource list in canonical form, rounded up to milli
 * units, the way upstream's decoding and SetDefaults_ResourceList leave them: `0.5`
 * becomes `500m` and a bare number becomes a string, so stored objects compare equal.
 */
export function canonicalizeResourceList(list: unknown): void {
  if (!isRecord(list)) return;
  for (const [name, raw] of Object.entries(list)) {
    if (typeof raw !== "string" && typeof raw !== "number") continue;
    try {
      list[name] = Quantity.fromJSON(raw).roundUp(Scale.milli).quantity.toString();
    } catch {
      // Left as sent: validation reports the malformed quantity at its path.
    }
  }
}

export function validateNonnegativeQuantity(quantity: Quantity, path: FieldPath): FieldError[] {
  return quantity.sign() < 0 ? [invalid(path, quantity.toString(), NEGATIVE_MESSAGE)] : [];
}

export function validatePositiveQuantity(quantity: Quantity, path: FieldPath): FieldError[] {
  return quantity.sign() <= 0
    ? [invalid(path, quantity.toString(), "must be greater than zero")]
    : [];
}

/** Non-negative, and whole for object counts and extended resources. */
export function validateResourceQuantityValue(
  name: string,
  quantity: Quantity,
  path: FieldPath,
): FieldError[] {
  const errors = validateNonnegativeQuantity(quantity, path);
  if (isIntegerResourceName(name) && quantity.milliValue() % 1000n !== 0n) {
    errors.push(invalid(path, quantity.toString(), notIntegerMessage));
  }
  return errors;
}

/** A compute resource name: qualified, and standard unless it has a domain prefix. */
export function validateResourceName(name: string, path: FieldPath): FieldError[] {
  const errors = isQualifiedName(name).map((message) => invalid(path, name, message));
  if (errors.length > 0) return errors;
  if (!name.includes("/") && !isStandardResourceName(name)) {
    errors.push(invalid(path, name, "must be a standard resource type or fully qualified"));
  }
  return errors;
}

export function validateContainerResourceName(name: string, path: FieldPath): FieldError[] {
  const errors = validateResourceName(name, path);
  if (!name.includes("/")) {
    if (!isStandardContainerResourceName(name)) {
      errors.push(invalid(path, name, "must be a standard resource for containers"));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errors.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errors;
}

export function validateResourceQuotaResourceName(name: string, path: FieldPath): FieldError[] {
  const errors = validateResourceName(name, path);
  if (!name.includes("/") && !isStandardQuotaResourceName(name)) {
    errors.push(invalid(path, name, invalidQuotaResourceMessage));
  }
  return errors;
}

const qosComputeResources = new Set(["cpu", "memory"]);

/**
 * A container's `resources`: names, quantities, requests within limits (equal for
 * resources that cannot be overcommitted), and claims that name the pod's resource
 * claims. `podClaimNames` is undefined for templates whose pod is not known.
 */
export function validateResourceRequirements(
  requirements: unknown,
  path: FieldPath,
  podClaimNames: ReadonlySet<string>,
): FieldError[] {
  if (!isRecord(requirements)) return [];
  const limitsPath = path.child("limits");
  const requestsPath = path.child("requests");
  const errors: FieldError[] = [];
  const limits = parseResourceList(requirements.limits, limitsPath);
  const requests = parseResourceList(requirements.requests, requestsPath);
  errors.push(...limits.errors, ...requests.errors);
  let hasCPUOrMemory = false;
  let hasHugePages = false;
  for (const [name, quantity] of limits.quantities) {
    const entryPath = limitsPath.key(name);
    errors.push(...validateContainerResourceName(name, entryPath));
    errors.push(...validateResourceQuantityValue(name, quantity, entryPath));
    if (isHugePageResourceName(name)) hasHugePages = true;
    if (qosComputeResources.has(name)) hasCPUOrMemory = true;
  }
  for (const [name, quantity] of requests.quantities) {
    const entryPath = requestsPath.key(name);
    errors.push(...validateContainerResourceName(name, entryPath));
    errors.push(...validateResourceQuantityValue(name, quantity, entryPath));
    const limit = limits.quantities.get(name);
    if (limit !== undefined) {
      // Upstream reports these at `requests`, not at the entry.
      if (quantity.cmp(limit) !== 0 && !isOvercommitAllowed(name)) {
        errors.push(
          invalid(
            requestsPath,
            quantity.toString(),
            `must be equal to ${name} limit of ${limit.toString()}`,
          ),
        );
      } else if (quantity.cmp(limit) > 0) {
        errors.push(
          invalid(
            requestsPath,
            quantity.toString(),
            `must be less than or equal to ${name} limit of ${limit.toString()}`,
          ),
        );
      }
    } else if (!isOvercommitAllowed(name)) {
      errors.push(required(limitsPath, "Limit must be set for non overcommitable resources"));
    }
    if (isHugePageResourceName(name)) hasHugePages = true;
    if (qosComputeResources.has(name)) hasCPUOrMemory = true;
  }
  if (hasHugePages && !hasCPUOrMemory) {
    errors.push(forbidden(path, "HugePages require cpu or memory"));
  }
  errors.push(...validateResourceClaims(requirements.claims, path.child("claims"), podClaimNames));
  return errors;
}

function validateResourceClaims(
  claims: unknown,
  path: FieldPath,
  podClaimNames: ReadonlySet<string>,
): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  recordList(claims).forEach((claim, i) => {
    const name = stringOf(claim.name);
    if (name === "") {
      errors.push(required(path.index(i), ""));
      return;
    }
    const request = stringOf(claim.request);
    const key = request === "" ? name : `${name}/${request}`;
    if (request !== "") {
      errors.push(
        ...isDNS1123Label(request).map((m) => invalid(path.index(i).child("request"), request, m)),
      );
    }
    if (seen.has(key) || seen.has(name)) errors.push(duplicate(path.index(i), key));
    seen.add(key);
    if (!podClaimNames.has(name)) {
      const names = [...podClaimNames].sort();
      const detail = `must be one of the names in pod.spec.resourceClaims${names.length === 0 ? " which is empty" : `: ${names.join(", ")}`}`;
      errors.push({ ...notFound(path.index(i), name), detail });
    }
  });
  return errors;
}

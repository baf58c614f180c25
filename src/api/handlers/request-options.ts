import { badRequest } from "../errors/status-error.ts";
import type { DeleteOptions, WriteOptions } from "../registry/resource-registry.ts";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** dryRun, fieldManager and fieldValidation of a write request. */
export function writeOptions(
  query: URLSearchParams,
): WriteOptions & { fieldValidation: FieldValidation } {
  const dryRun = query.getAll("dryRun");
  for (const value of dryRun) {
    if (value !== "All")
      throw badRequest(`dryRun: Unsupported value: "${value}": supported values: "All"`);
  }
  const validation = query.get("fieldValidation") ?? "";
  let fieldValidation: FieldValidation = "Warn";
  if (validation === "Strict" || validation === "Ignore" || validation === "Warn")
    fieldValidation = validation;
  else if (validation !== "") {
    throw badRequest(
      `fieldValidation: Unsupported value: "${validation}": supported values: "Ignore", "Strict", "Warn"`,
    );
  }
  const fieldManager = query.get("fieldManager") ?? undefined;
  if (fieldManager !== undefined && fieldManager.length > 128) {
    throw badRequest("fieldManager: Too long: may not be more than 128 bytes");
  }
  return { dryRun: dryRun.length > 0, fieldManager, fieldValidation };
}

/** DeleteOptions from the query and, as kubectl sends them, from the body. */
export function deleteOptions(
  query: URLSearchParams,
  body: Record<string, unknown> | null,
): DeleteOptions {
  const base = writeOptions(query);
  const options: DeleteOptions = { dryRun: base.dryRun };
  if (body && Array.isArray(body.dryRun) && body.dryRun.includes("All")) options.dryRun = true;
  const grace = query.get("gracePeriodSeconds") ?? body?.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && grace !== "") {
    const value = Number(grace);
    if (!Number.isInteger(value))
      throw badRequest(`gracePeriodSeconds: Invalid value: "${grace}": must be an integer`);
    options.gracePeriodSeconds = value;
  }
  const policy = query.get("propagationPolicy") ?? body?.propagationPolicy;
  const orphan = query.get("orphanDependents") ?? body?.orphanDependents;
  if (policy !== undefined && policy !== null && policy !== "") {
    if (policy !== "Orphan" && policy !== "Background" && policy !== "Foreground") {
      throw badRequest(
        `propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`,
      );
    }
    options.propagationPolicy = policy;
  } else if (orphan === true || orphan === "true") {
    options.propagationPolicy = "Orphan";
  }
  const preconditions = body?.preconditions as
    | { uid?: string; resourceVersion?: string }
    | undefined;
  if (preconditions) options.preconditions = preconditions;
  return options;
}

export function integerParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  if (!/^-?\d+$/.test(value))
    throw badRequest(`${name}: Invalid value: "${value}": must be an integer`);
  const number = Number(value);
  if (number < 0)
    throw badRequest(`${name}: Invalid value: ${number}: must be greater than or equal to 0`);
  return number;
}

export function booleanParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === "true" || value === "1";
}

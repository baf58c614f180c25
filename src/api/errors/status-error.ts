import type { FieldError } from "../../resources/validation/field-error.ts";
import { aggregateFieldErrors, toStatusCause } from "../../resources/validation/field-error.ts";

/** meta.k8s.io/v1 Status, as kubectl reads and prints it. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason: string; message: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** What an error is about: the resource (plural) and group, for upstream's message shapes. */
export interface Subject {
  group: string;
  resource: string;
  name?: string;
}

function qualified(subject: Subject): string {
  return subject.group ? `${subject.resource}.${subject.group}` : subject.resource;
}

function details(subject: Subject): Status["details"] {
  const result: NonNullable<Status["details"]> = { kind: subject.resource };
  if (subject.name !== undefined) result.name = subject.name;
  if (subject.group) result.group = subject.group;
  return result;
}

/**
 * An error that is a Kubernetes Status. Built only through the constructors below,
 * whose reasons and message texts match upstream's (kubectl prints them).
 */
export class StatusError extends Error {
  override name = "StatusError";
  constructor(readonly status: Status) {
    super(status.message);
  }

  get code(): number {
    return this.status.code;
  }
}

function failure(
  code: number,
  reason: string,
  message: string,
  extra?: Status["details"],
): StatusError {
  const status: Status = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (extra) status.details = extra;
  return new StatusError(status);
}

export function notFound(subject: Subject): StatusError {
  return failure(
    404,
    "NotFound",
    `${qualified(subject)} "${subject.name ?? ""}" not found`,
    details(subject),
  );
}

export function alreadyExists(subject: Subject): StatusError {
  return failure(
    409,
    "AlreadyExists",
    `${qualified(subject)} "${subject.name ?? ""}" already exists`,
    details(subject),
  );
}

export function conflict(subject: Subject, reason: string): StatusError {
  return failure(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(subject)} "${subject.name ?? ""}": ${reason}`,
    details(subject),
  );
}

/** One field another manager owns with a different value (see applyConflict). */
export interface FieldManagerConflict {
  /** The manager as upstream prints it: `"kubectl"`, or `"x" using apps/v1` for an Update entry. */
  manager: string;
  /** The field as upstream prints a path: `.spec.replicas`. */
  field: string;
}

/**
 * A server-side apply that would change fields other managers own. The texts
 * are upstream's: kubectl prints the message and offers --force-conflicts.
 */
export function applyConflict(conflicts: readonly FieldManagerConflict[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: "FieldManagerConflict",
    message: `conflict with ${c.manager}`,
    field: c.field,
  }));
  let message: string;
  if (conflicts.length === 1) {
    const [only] = conflicts as [FieldManagerConflict];
    message = `Apply failed with 1 conflict: conflict with ${only.manager}: ${only.field}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts)
      byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
    const lines: string[] = [];
    for (const manager of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${manager}:`);
      for (const field of byManager.get(manager) ?? []) lines.push(`- ${field}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return failure(409, "Conflict", message, { causes });
}

/** The message kubectl shows for a stale resourceVersion. */
export const modifiedConflictReason =
  "the object has been modified; please apply your changes to the latest version and try again";

export function invalid(
  kind: string,
  group: string,
  name: string,
  errors: readonly FieldError[],
): StatusError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const extra: Status["details"] = { name, kind, causes: errors.map(toStatusCause) };
  if (group) extra.group = group;
  return failure(
    422,
    "Invalid",
    `${qualifiedKind} "${name}" is invalid: ${aggregateFieldErrors(errors)}`,
    extra,
  );
}

export function badRequest(message: string): StatusError {
  return failure(400, "BadRequest", message);
}

export function unauthorized(message = "Unauthorized"): StatusError {
  return failure(401, "Unauthorized", message);
}

export function forbidden(subject: Subject, message: string): StatusError {
  const name = subject.name ? ` "${subject.name}"` : "";
  return failure(
    403,
    "Forbidden",
    `${qualified(subject)}${name} is forbidden: ${message}`,
    details(subject),
  );
}

export function methodNotAllowed(message: string): StatusError {
  return failure(405, "MethodNotAllowed", message);
}

export function notAcceptable(message: string): StatusError {
  return failure(406, "NotAcceptable", message);
}

export function unsupportedMediaType(
  message = "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
): StatusError {
  return failure(415, "UnsupportedMediaType", message);
}

export function tooLarge(message = "Request entity too large: limit is 3145728"): StatusError {
  return failure(413, "RequestEntityTooLarge", message);
}

/** A resourceVersion that was compacted away (client-go relists on this). */
export function expired(message: string): StatusError {
  return failure(410, "Expired", message);
}

export function gone(message: string): StatusError {
  return failure(410, "Gone", message);
}

export function tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return failure(429, "TooManyRequests", message, { retryAfterSeconds });
}

export function timeout(message: string, retryAfterSeconds = 1): StatusError {
  return failure(504, "Timeout", message, { retryAfterSeconds });
}

export function serviceUnavailable(message: string): StatusError {
  return failure(503, "ServiceUnavailable", message);
}

export function internalError(message: string): StatusError {
  return failure(500, "InternalError", `Internal error occurred: ${message}`);
}

/** A 200 Status, as some deletes answer. */
export function success(subject: Subject): Status {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    message: "",
    reason: "",
    details: details(subject),
    code: 200,
  };
}

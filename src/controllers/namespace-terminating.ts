import { ApiError } from "../client/api-error.ts";

/**
 * A create refused because its namespace is being deleted (the Status cause
 * NamespaceTerminating): retrying cannot help, and what it was for goes with the
 * namespace, so controllers drop it quietly.
 */
export function isNamespaceTerminating(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.status.details?.causes ?? []).some((cause) => cause.type === "NamespaceTerminating")
  );
}

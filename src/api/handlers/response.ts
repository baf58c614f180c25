import type { Status, StatusError } from "../errors/status-error.ts";

/** A JSON response, Kubernetes style. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function statusResponse(error: StatusError, headers: Record<string, string> = {}): Response {
  const status: Status = error.status;
  return jsonResponse(status, status.code, headers);
}

/** What the Accept header asks for. */
export interface AcceptedFormat {
  table: boolean;
  /** `includeObject` for Table rows: kubectl's default is Metadata. */
  includeObject: "None" | "Metadata" | "Object";
}

export function acceptedFormat(
  accept: string | null,
  includeObject: string | null,
): AcceptedFormat {
  const table = (accept ?? "")
    .split(",")
    .some((part) => /(^|;)\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
  const include =
    includeObject === "None" || includeObject === "Object" || includeObject === "Metadata"
      ? includeObject
      : "Metadata";
  return { table, includeObject: include };
}

/** A `Warning` header value, as kubectl prints it ("Warning: …"). */
export function warningHeader(messages: readonly string[]): Record<string, string> {
  if (messages.length === 0) return {};
  return { warning: messages.map((m) => `299 - ${JSON.stringify(m)}`).join(", ") };
}

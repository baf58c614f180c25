/** A meta.k8s.io/v1 Status as the server sends it with every failure. */
export interface Status {
  apiVersion?: string;
  kind?: "Status";
  status?: "Success" | "Failure";
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { type?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  metadata?: Record<string, unknown>;
}

/**
 * A failed API call. `status` is the server's Status verbatim, so callers
 * branch on `reason`/`code` (NotFound, AlreadyExists, Conflict, Expired) the
 * way client-go's `apierrors.IsNotFound` does, never on message text.
 */
export class ApiError extends Error {
  readonly status: Status;

  constructor(status: Status) {
    super(status.message ?? `API request failed with ${status.code ?? "no"} status`);
    this.name = "ApiError";
    this.status = status;
  }

  get code(): number {
    return this.status.code ?? 0;
  }

  get reason(): string {
    return this.status.reason ?? "";
  }

  /** A Status for a response whose body was not one (a proxy error page, an empty body). */
  static fromResponse(code: number, body: string): ApiError {
    try {
      const parsed = JSON.parse(body) as Status;
      if (parsed && parsed.kind === "Status")
        return new ApiError({ ...parsed, code: parsed.code ?? code });
    } catch {}
    return new ApiError({
      kind: "Status",
      status: "Failure",
      code,
      message: body || `HTTP ${code}`,
    });
  }
}

export const isNotFound = (error: unknown): boolean =>
  error instanceof ApiError && error.code === 404;
export const isConflict = (error: unknown): boolean =>
  error instanceof ApiError && error.code === 409;
/** The resourceVersion asked for has been compacted away: list again. */
export const isGone = (error: unknown): boolean => error instanceof ApiError && error.code === 410;

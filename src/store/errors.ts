/**
 * The store's own errors. They carry facts, not HTTP codes: the API turns them into
 * Kubernetes Status values in one place (NotFound, AlreadyExists, Conflict, Expired…).
 */
export class StoreError extends Error {
  override name = "StoreError";
}

export class KeyExistsError extends StoreError {
  override name = "KeyExistsError";
  constructor(
    readonly key: string,
    readonly revision: number,
  ) {
    super(`key ${key} already exists (revision ${revision})`);
  }
}

export class KeyNotFoundError extends StoreError {
  override name = "KeyNotFoundError";
  constructor(readonly key: string) {
    super(`key ${key} not found`);
  }
}

export class RevisionMismatchError extends StoreError {
  override name = "RevisionMismatchError";
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`key ${key} is at revision ${actual}, not the expected ${expected}`);
  }
}

/** The requested revision was compacted away (Kubernetes: 410 Gone, reason Expired). */
export class ExpiredError extends StoreError {
  override name = "ExpiredError";
  constructor(
    readonly requested: number,
    readonly compactRevision: number,
  ) {
    super(`revision ${requested} has been compacted (oldest available: ${compactRevision})`);
  }
}

/** The requested revision is newer than anything written so far. */
export class FutureRevisionError extends StoreError {
  override name = "FutureRevisionError";
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`revision ${requested} is newer than the current revision ${current}`);
  }
}

export class ValueTooLargeError extends StoreError {
  override name = "ValueTooLargeError";
  constructor(
    readonly key: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`value for ${key} is ${size} bytes, over the limit of ${limit} bytes`);
  }
}

/** A watcher that fell too far behind the feed is closed rather than buffering without bound. */
export class WatcherOverflowError extends StoreError {
  override name = "WatcherOverflowError";
  constructor(readonly backlog: number) {
    super(
      `watcher fell ${backlog} events behind and was closed; watch again from its last revision`,
    );
  }
}

export class StoreClosedError extends StoreError {
  override name = "StoreClosedError";
  constructor() {
    super("the store is closed");
  }
}

/** The database could not be reached or refused the work; the request may be retried. */
export class StoreUnavailableError extends StoreError {
  override name = "StoreUnavailableError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * PostgreSQL error codes translated once, here: connection loss, shutdown and
 * resource exhaustion become StoreUnavailableError; anything else is a bug and
 * passes through unchanged.
 */
export function translatePostgresError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return error;
  const unavailable =
    code.startsWith("08") || // connection exceptions
    code.startsWith("57P") || // operator intervention: shutdown, terminated backend
    code === "53300" || // too many connections
    code === "CONNECTION_CLOSED" ||
    code === "CONNECTION_ENDED" ||
    code === "CONNECTION_DESTROYED" ||
    code === "CONNECT_TIMEOUT" ||
    code === "ECONNREFUSED" ||
    code === "ENOENT";
  return unavailable
    ? new StoreUnavailableError(`datastore unavailable: ${error.message}`, code)
    : error;
}

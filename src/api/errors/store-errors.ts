import {
  ExpiredError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  StoreUnavailableError,
  ValueTooLargeError,
} from "../../store/errors.ts";
import {
  alreadyExists,
  conflict,
  expired,
  modifiedConflictReason,
  notFound,
  StatusError,
  type Subject,
  serviceUnavailable,
  timeout,
  tooLarge,
} from "./status-error.ts";

/**
 * The one place where store errors become Status values (upstream's storeerr).
 * Anything that is not a store error passes through unchanged.
 */
export function statusFromStoreError(error: unknown, subject: Subject): unknown {
  if (error instanceof StatusError) return error;
  if (error instanceof KeyNotFoundError) return notFound(subject);
  if (error instanceof KeyExistsError) return alreadyExists(subject);
  if (error instanceof RevisionMismatchError) return conflict(subject, modifiedConflictReason);
  if (error instanceof ExpiredError) {
    return expired(`The resourceVersion for the provided list is too old.`);
  }
  if (error instanceof FutureRevisionError) {
    return timeout(`Too large resource version: ${error.requested}, current: ${error.current}`);
  }
  if (error instanceof ValueTooLargeError) {
    return tooLarge(`etcdserver: request is too large`);
  }
  if (error instanceof StoreUnavailableError) return serviceUnavailable(error.message);
  return error;
}

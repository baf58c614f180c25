import { expect } from "bun:test";
import { PatchError, type PatchErrorReason } from "../../../src/api/patch/patch-error.ts";

/** Asserts that `run` throws a PatchError with this reason and a message containing `message`. */
export function expectPatchError(
  run: () => unknown,
  reason: PatchErrorReason,
  message: string,
): PatchError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(PatchError);
  const error = caught as PatchError;
  expect(error.reason).toBe(reason);
  expect(error.message).toContain(message);
  return error;
}

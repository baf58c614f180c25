/**
 * Turns values into what is stored and back (upstream's storage transformers):
 * the store applies it below everything else, so caches, watches and clients
 * only ever see plain values. `fromStorage` must pass values written before the
 * transformer existed through unchanged.
 */
export interface ValueTransformer {
  toStorage(key: string, value: string): string;
  fromStorage(key: string, value: string): string;
}

export const identityTransformer: ValueTransformer = {
  toStorage: (_key, value) => value,
  fromStorage: (_key, value) => value,
};

/** Applies `fromStorage` to a nullable value. */
export function readStored(
  transformer: ValueTransformer,
  key: string,
  value: string | null,
): string | null {
  return value === null ? null : transformer.fromStorage(key, value);
}

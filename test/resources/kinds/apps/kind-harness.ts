/**
 * Runs a kind's hooks in the order the generic registry does, without a store, so kind
 * tests can assert on what a create or update would store or reject:
 * create: system metadata → prepareForCreate → defaults → validate;
 * update: system metadata kept → prepareForUpdate → defaults → validate + validateUpdate.
 */
import type { KindDefinition, KubeObject, RequestContext } from "../../../../src/resources/kind.ts";
import { fieldErrorMessage } from "../../../../src/resources/validation/field-error.ts";

export const context: RequestContext = {
  user: "alice",
  groups: ["developers", "system:authenticated"],
  namespace: "default",
  dryRun: false,
};

export const UID = "3f6a3f1e-6b2d-4c1e-9a55-0c6f2b9e7d10";

/** A deep copy with the metadata the registry assigns before the kind's hooks run. */
function withSystemMetadata(kind: KindDefinition, input: KubeObject): KubeObject {
  const object = structuredClone(input);
  object.metadata = { name: "example", uid: UID, ...object.metadata };
  if (kind.namespaced) object.metadata.namespace ??= "default";
  return object;
}

/** The object a create would store (before validation). */
export function created(kind: KindDefinition, input: KubeObject): KubeObject {
  const object = withSystemMetadata(kind, input);
  kind.prepareForCreate?.(object, context);
  kind.defaults?.(object);
  return object;
}

/** The messages a create would be rejected with (`[]` when it is accepted). */
export function createErrors(kind: KindDefinition, input: KubeObject): string[] {
  const object = created(kind, input);
  return (kind.validate?.(object, context) ?? []).map(fieldErrorMessage);
}

/** The object an update of `old` (as stored) with `input` would store. */
export function updated(kind: KindDefinition, old: KubeObject, input: KubeObject): KubeObject {
  const object = structuredClone(input);
  object.metadata = { ...object.metadata, ...systemFields(old) };
  kind.prepareForUpdate?.(object, old, context);
  kind.defaults?.(object);
  return object;
}

export function updateErrors(kind: KindDefinition, old: KubeObject, input: KubeObject): string[] {
  const object = updated(kind, old, input);
  const errors = [
    ...(kind.validate?.(object, context) ?? []),
    ...(kind.validateUpdate?.(object, old, context) ?? []),
  ];
  return errors.map(fieldErrorMessage);
}

/** A `/status` write: the stored object with the request's status, as the registry builds it. */
export function statusUpdateErrors(
  kind: KindDefinition,
  old: KubeObject,
  status: unknown,
): string[] {
  const object = structuredClone(old);
  object.status = structuredClone(status);
  kind.defaults?.(object);
  const errors = [
    ...(kind.validate?.(object, context) ?? []),
    ...(kind.validateUpdate?.(object, old, context) ?? []),
  ];
  return errors.map(fieldErrorMessage);
}

function systemFields(old: KubeObject): Record<string, unknown> {
  const meta = old.metadata ?? {};
  return {
    name: meta.name,
    namespace: meta.namespace,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion ?? "1",
  };
}

/**
 * Runs a kind's hooks in the order the generic registry does (prepare → defaults →
 * validate), so tests see what a create or an update would store or reject.
 */
import type { KindDefinition, KubeObject, RequestContext } from "../../../../src/resources/kind.ts";
import {
  type FieldError,
  fieldErrorMessage,
} from "../../../../src/resources/validation/field-error.ts";

export const context: RequestContext = {
  user: "admin",
  groups: [],
  namespace: "default",
  dryRun: false,
};

/**
 * JSON as tests read it: any field at any depth. The hooks' own narrowing is what is
 * under test, so the tests stay free of casts.
 */
// biome-ignore lint/suspicious/noExplicitAny: test fixtures are read and built by path.
export type Loose = Record<string, any>;

/** A stored object as the tests inspect it. */
export type LooseObject = KubeObject & Loose;

export interface Outcome {
  object: LooseObject;
  errors: FieldError[];
  /** `field: message` lines, as kubectl prints them. */
  messages: string[];
}

function outcome(object: LooseObject, errors: FieldError[]): Outcome {
  return { object, errors, messages: errors.map(fieldErrorMessage) };
}

export function create(kind: KindDefinition, input: KubeObject): Outcome {
  const object: LooseObject = structuredClone(input);
  kind.prepareForCreate?.(object, context);
  kind.defaults?.(object);
  return outcome(object, kind.validate?.(object, context) ?? []);
}

/**
 * `old` is taken as stored: it is created first (and must be valid). `storedStatus`
 * replaces its status afterwards, as a controller's `/status` write would have.
 */
export function update(
  kind: KindDefinition,
  input: KubeObject,
  old: KubeObject,
  storedStatus?: unknown,
): Outcome {
  const stored = create(kind, old);
  if (stored.errors.length > 0) {
    throw new Error(`old object invalid: ${stored.messages.join("; ")}`);
  }
  if (storedStatus !== undefined) stored.object.status = structuredClone(storedStatus);
  stored.object.metadata = { ...stored.object.metadata, resourceVersion: "1" };
  const object: LooseObject = structuredClone(input);
  object.metadata = { ...object.metadata, resourceVersion: "1" };
  kind.prepareForUpdate?.(object, stored.object, context);
  kind.defaults?.(object);
  const errors = [
    ...(kind.validate?.(object, context) ?? []),
    ...(kind.validateUpdate?.(object, stored.object, context) ?? []),
  ];
  return outcome(object, errors);
}

/** A namespaced object's metadata. */
export function meta(name: string, extra: Record<string, unknown> = {}): KubeObject["metadata"] {
  return { name, namespace: "default", uid: "7f1c3c2a-0000-4000-8000-000000000001", ...extra };
}

/**
 * Namespace (core/v1): DNS-label names, the `kubernetes` finalizer added at creation
 * (the namespace controller removes it once the contents are gone), phase Active, and the
 * `kubernetes.io/metadata.name` label that lets selectors pick namespaces by name.
 * Finalizers change only through `/finalize`, status only through `/status`.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { type FieldError, invalid } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { validateNamespaceName } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { isRecord, recordOf, stringList, stringOf } from "./json-value.ts";

export const FINALIZER_KUBERNETES = "kubernetes";
export const METADATA_NAME_LABEL = "kubernetes.io/metadata.name";
const standardFinalizers = new Set([FINALIZER_KUBERNETES, "orphan", "foregroundDeletion"]);

/** Upstream validateFinalizerName: qualified, and standard unless domain-prefixed. */
export function validateFinalizerName(name: string, path: FieldPath): FieldError[] {
  const errors = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes("/") && !standardFinalizers.has(name)) {
    errors.push(
      invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"),
    );
  }
  return errors;
}

function validateNamespace(namespace: KubeObject): FieldError[] {
  const errors = validateObjectMeta(namespace.metadata ?? {}, {
    namespaced: false,
    nameValidator: validateNamespaceName,
    standardFinalizersOnly: true,
  });
  for (const finalizer of stringList(recordOf(namespace.spec)?.finalizers)) {
    // Upstream reports every entry at the list's path, without an index.
    errors.push(...validateFinalizerName(finalizer, fieldPath("spec", "finalizers")));
  }
  return errors;
}

export const namespaceKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "Namespace",
  resource: "namespaces",
  singular: "namespace",
  namespaced: false,
  schemaRef: "core/v1.Namespace",
  hasStatus: true,
  tracksGeneration: false,
  shortNames: ["ns"],
  subresources: ["status", "finalize"],

  defaults(namespace) {
    const metadata = namespace.metadata ?? {};
    namespace.metadata = metadata;
    // Nameless (generateName) namespaces get the label once named; the registry names
    // objects before defaulting.
    if (metadata.name) {
      metadata.labels = { ...metadata.labels, [METADATA_NAME_LABEL]: metadata.name };
    }
    const status = recordOf(namespace.status);
    if (status && !status.phase) status.phase = "Active";
  },

  prepareForCreate(namespace) {
    namespace.status = { phase: "Active" };
    const spec = isRecord(namespace.spec) ? namespace.spec : {};
    const finalizers = stringList(spec.finalizers);
    if (!finalizers.includes(FINALIZER_KUBERNETES)) finalizers.push(FINALIZER_KUBERNETES);
    spec.finalizers = finalizers;
    namespace.spec = spec;
  },

  /** The main endpoint; the `/finalize` subresource must not run this hook. */
  prepareForUpdate(namespace, old) {
    const spec = isRecord(namespace.spec) ? namespace.spec : {};
    const oldFinalizers = recordOf(old.spec)?.finalizers;
    if (oldFinalizers === undefined) delete spec.finalizers;
    else spec.finalizers = structuredClone(oldFinalizers);
    namespace.spec = spec;
    if (old.status === undefined) delete namespace.status;
    else namespace.status = structuredClone(old.status);
  },

  validate: validateNamespace,

  validateUpdate(namespace, old) {
    return validateObjectMetaUpdate(namespace.metadata ?? {}, old.metadata ?? {}, {
      standardFinalizersOnly: true,
    });
  },

  selectableFields(namespace) {
    return {
      "status.phase": stringOf(recordOf(namespace.status)?.phase),
      // Upstream keeps this bare `name` for old clients.
      name: stringOf(namespace.metadata?.name),
    };
  },
};

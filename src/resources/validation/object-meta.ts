/**
 * Generic `metadata` validation every kind runs on create and update, with upstream's
 * field paths and messages (Kubernetes 1.33, the newest kubectl these machines carry).
 *
 * The registry calls it after name generation, so a create with only `generateName`
 * arrives here with a generated `name` as well. Not covered: `managedFields` (server-side
 * apply owns them and validates its own output).
 */
import { type FieldError, forbidden, invalid, required } from "./field-error.ts";
import { FieldPath } from "./field-path.ts";
import { goQuote } from "./go-quote.ts";
import { validateImmutable } from "./immutable.ts";
import { validateAnnotations, validateLabels } from "./labels-and-annotations.ts";
import { type NameValidator, validateNamespaceName } from "./name-validators.ts";
import { isQualifiedName } from "./qualified-name.ts";

export interface OwnerReferenceFields {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The ObjectMeta fields this validation reads; extra fields are ignored. */
export interface ObjectMetaFields {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string | null;
  deletionGracePeriodSeconds?: number | null;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReferenceFields[];
  finalizers?: string[];
}

export interface ObjectMetaOptions {
  /** Namespaced kinds require a namespace; cluster-scoped kinds forbid one. */
  namespaced: boolean;
  /** The kind's rule for `name` (and, with prefix=true, `generateName`). */
  nameValidator: NameValidator;
  /** Where the metadata sits; `metadata` by default. */
  path?: FieldPath;
  /**
   * Built-in kinds also require every finalizer without a `/` to be one of the standard
   * names (`kubernetes`, `orphan`, `foregroundDeletion`); custom resources do not.
   */
  standardFinalizersOnly?: boolean;
}

export const FINALIZER_ORPHAN_DEPENDENTS = "orphan";
export const FINALIZER_DELETE_DEPENDENTS = "foregroundDeletion";
const standardFinalizers = new Set([
  "kubernetes",
  FINALIZER_ORPHAN_DEPENDENTS,
  FINALIZER_DELETE_DEPENDENTS,
]);

/** Kinds that may never own other objects (an Event's lifetime is too short). */
const bannedOwners = new Set(["/v1, Kind=Event"]);

/** Validates metadata on create. */
export function validateObjectMeta(
  meta: ObjectMetaFields,
  options: ObjectMetaOptions,
): FieldError[] {
  const path = options.path ?? FieldPath.root("metadata");
  const errors: FieldError[] = [];
  const generateName = meta.generateName ?? "";
  if (generateName.length > 0) {
    for (const message of options.nameValidator(generateName, true)) {
      errors.push(invalid(path.child("generateName"), generateName, message));
    }
  }
  const name = meta.name ?? "";
  if (name.length === 0) {
    errors.push(required(path.child("name"), "name or generateName is required"));
  } else {
    for (const message of options.nameValidator(name, false)) {
      errors.push(invalid(path.child("name"), name, message));
    }
  }
  const namespace = meta.namespace ?? "";
  if (options.namespaced) {
    if (namespace.length === 0) {
      errors.push(required(path.child("namespace"), ""));
    } else {
      for (const message of validateNamespaceName(namespace, false)) {
        errors.push(invalid(path.child("namespace"), namespace, message));
      }
    }
  } else if (namespace.length > 0) {
    errors.push(forbidden(path.child("namespace"), "not allowed on this type"));
  }
  const generation = meta.generation ?? 0;
  if (generation < 0) {
    errors.push(
      invalid(path.child("generation"), generation, "must be greater than or equal to 0"),
    );
  }
  errors.push(...validateLabels(meta.labels, path.child("labels")));
  errors.push(...validateAnnotations(meta.annotations, path.child("annotations")));
  errors.push(...validateOwnerReferences(meta.ownerReferences, path.child("ownerReferences")));
  errors.push(...validateFinalizers(meta.finalizers, path.child("finalizers")));
  if (options.standardFinalizersOnly) {
    errors.push(...validateStandardFinalizers(meta.finalizers, path.child("finalizers")));
  }
  return errors;
}

export interface ObjectMetaUpdateOptions {
  path?: FieldPath;
  standardFinalizersOnly?: boolean;
}

/**
 * Validates metadata on update: identity and timestamps are immutable, a resourceVersion
 * is required (the store compares it), generation never goes back, and an object being
 * deleted may lose finalizers but not gain them.
 */
export function validateObjectMetaUpdate(
  newMeta: ObjectMetaFields,
  oldMeta: ObjectMetaFields,
  options: ObjectMetaUpdateOptions = {},
): FieldError[] {
  const path = options.path ?? FieldPath.root("metadata");
  const errors: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    const old = new Set(oldMeta.finalizers ?? []);
    const added = [...new Set(newMeta.finalizers ?? [])].filter((f) => !old.has(f)).sort();
    if (added.length > 0) {
      errors.push(
        forbidden(
          path.child("finalizers"),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map(goQuote).join(", ")}}`,
        ),
      );
    }
  }
  const resourceVersion = newMeta.resourceVersion ?? "";
  if (resourceVersion.length === 0) {
    errors.push(
      invalid(path.child("resourceVersion"), resourceVersion, "must be specified for an update"),
    );
  }
  const newGeneration = newMeta.generation ?? 0;
  if (newGeneration < (oldMeta.generation ?? 0)) {
    errors.push(invalid(path.child("generation"), newGeneration, "must not be decremented"));
  }
  const immutable: [keyof ObjectMetaFields, unknown, unknown][] = [
    ["name", oldMeta.name ?? "", newMeta.name ?? ""],
    ["namespace", oldMeta.namespace ?? "", newMeta.namespace ?? ""],
    ["uid", oldMeta.uid ?? "", newMeta.uid ?? ""],
    ["creationTimestamp", oldMeta.creationTimestamp, newMeta.creationTimestamp],
    ["deletionTimestamp", oldMeta.deletionTimestamp, newMeta.deletionTimestamp],
    [
      "deletionGracePeriodSeconds",
      oldMeta.deletionGracePeriodSeconds,
      newMeta.deletionGracePeriodSeconds,
    ],
  ];
  for (const [field, oldValue, newValue] of immutable) {
    errors.push(...validateImmutable(oldValue, newValue, path.child(field)));
  }
  errors.push(...validateLabels(newMeta.labels, path.child("labels")));
  errors.push(...validateAnnotations(newMeta.annotations, path.child("annotations")));
  errors.push(...validateOwnerReferences(newMeta.ownerReferences, path.child("ownerReferences")));
  if (options.standardFinalizersOnly) {
    errors.push(...validateStandardFinalizers(newMeta.finalizers, path.child("finalizers")));
  }
  return errors;
}

/** `group/version` or `version` → group and version; undefined for more than one slash. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } | undefined {
  if (apiVersion.length === 0 || apiVersion === "/") return { group: "", version: "" };
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: apiVersion };
  if (parts.length === 2) return { group: parts[0] as string, version: parts[1] as string };
  return undefined;
}

export function validateOwnerReferences(
  references: readonly OwnerReferenceFields[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  let firstController = "";
  for (const ref of references ?? []) {
    const kind = ref.kind ?? "";
    const gv = parseGroupVersion(ref.apiVersion ?? "") ?? { group: "", version: "" };
    if (gv.version.length === 0) {
      errors.push(
        invalid(path.child("apiVersion"), ref.apiVersion ?? "", "version must not be empty"),
      );
    }
    if (kind.length === 0) errors.push(invalid(path.child("kind"), kind, "kind must not be empty"));
    if ((ref.name ?? "").length === 0) {
      errors.push(invalid(path.child("name"), ref.name ?? "", "name must not be empty"));
    }
    if ((ref.uid ?? "").length === 0) {
      errors.push(invalid(path.child("uid"), ref.uid ?? "", "uid must not be empty"));
    }
    const gvk = `${gv.group}/${gv.version}, Kind=${kind}`;
    if (bannedOwners.has(gvk))
      errors.push(invalid(path, ref, `${gvk} is disallowed from being an owner`));
    if (ref.controller === true) {
      const current = `${kind}/${ref.name ?? ""}`;
      if (firstController !== "") {
        errors.push(
          invalid(
            path,
            references,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errors;
}

/** Finalizers are qualified names, and `orphan` excludes `foregroundDeletion`. */
export function validateFinalizers(
  finalizers: readonly string[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const finalizer of finalizers ?? []) {
    for (const message of isQualifiedName(finalizer))
      errors.push(invalid(path, finalizer, message));
  }
  const list = finalizers ?? [];
  if (list.includes(FINALIZER_ORPHAN_DEPENDENTS) && list.includes(FINALIZER_DELETE_DEPENDENTS)) {
    errors.push(
      invalid(
        path,
        finalizers,
        `finalizer ${FINALIZER_ORPHAN_DEPENDENTS} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`,
      ),
    );
  }
  return errors;
}

function validateStandardFinalizers(
  finalizers: readonly string[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  (finalizers ?? []).forEach((finalizer, i) => {
    if (!finalizer.includes("/") && !standardFinalizers.has(finalizer)) {
      errors.push(
        invalid(
          path.index(i),
          finalizer,
          "name is neither a standard finalizer name nor is it fully qualified",
        ),
      );
    }
  });
  return errors;
}

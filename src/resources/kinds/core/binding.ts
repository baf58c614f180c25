/**
 * Binding (core/v1): what the scheduler posts to `pods/<name>/binding` to place a pod on
 * a node. It is never stored; only create exists.
 */
import type { KindDefinition } from "../../kind.ts";
import { type FieldError, notSupported, required } from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { recordOf, stringOf } from "./json-value.ts";

export const bindingKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "Binding",
  resource: "bindings",
  singular: "binding",
  namespaced: true,
  verbs: ["create"],
  schemaRef: "core/v1.Binding",
  hasStatus: false,
  tracksGeneration: false,

  validate(binding) {
    const target = recordOf(binding.target) ?? {};
    const kind = stringOf(target.kind);
    const errors: FieldError[] = [];
    if (kind !== "" && kind !== "Node") {
      errors.push(notSupported(fieldPath("target", "kind"), kind, ["Node", "<empty>"]));
    }
    if (stringOf(target.name) === "") errors.push(required(fieldPath("target", "name"), ""));
    return errors;
  },
};

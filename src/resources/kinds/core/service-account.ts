/**
 * ServiceAccount (core/v1): only metadata rules; tokens are issued through the `token`
 * subresource.
 */
import type { KindDefinition } from "../../kind.ts";
import { validateServiceAccountName } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";

export const serviceAccountKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "ServiceAccount",
  resource: "serviceaccounts",
  singular: "serviceaccount",
  namespaced: true,
  schemaRef: "core/v1.ServiceAccount",
  hasStatus: false,
  shortNames: ["sa"],
  subresources: ["token"],

  validate(account) {
    return validateObjectMeta(account.metadata ?? {}, {
      namespaced: true,
      nameValidator: validateServiceAccountName,
      standardFinalizersOnly: true,
    });
  },

  validateUpdate(account, old) {
    return validateObjectMetaUpdate(account.metadata ?? {}, old.metadata ?? {}, {
      standardFinalizersOnly: true,
    });
  },
};

/**
 * PersistentVolumeClaim (core/v1): a request for storage. The spec is fixed after
 * creation except for the binder setting `volumeName` and resizing a bound claim.
 */
import type { KindDefinition } from "../../kind.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { isRecord, recordOf, stringOf } from "./json-value.ts";
import {
  validatePersistentVolumeClaimSpec,
  validatePersistentVolumeClaimUpdate,
} from "./persistent-volume-claim.validation.ts";
import { canonicalizeResourceList } from "./resource-requirements.ts";
import { clearStatus, keepStatus } from "./status-strategy.ts";

export const persistentVolumeClaimKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "PersistentVolumeClaim",
  resource: "persistentvolumeclaims",
  singular: "persistentvolumeclaim",
  namespaced: true,
  schemaRef: "core/v1.PersistentVolumeClaim",
  hasStatus: true,
  tracksGeneration: false,
  shortNames: ["pvc"],
  subresources: ["status"],

  defaults(claim) {
    const spec = recordOf(claim.spec);
    if (spec) {
      if (!spec.volumeMode) spec.volumeMode = "Filesystem";
      const resources = recordOf(spec.resources);
      canonicalizeResourceList(resources?.requests);
      canonicalizeResourceList(resources?.limits);
    }
    const status = isRecord(claim.status) ? claim.status : {};
    if (!status.phase) status.phase = "Pending";
    claim.status = status;
  },

  prepareForCreate(claim) {
    clearStatus(claim);
  },

  prepareForUpdate(claim, old) {
    keepStatus(claim, old);
  },

  validate(claim) {
    return [
      ...validateObjectMeta(claim.metadata ?? {}, {
        namespaced: true,
        nameValidator: nameIsDNSSubdomain,
        standardFinalizersOnly: true,
      }),
      ...validatePersistentVolumeClaimSpec(recordOf(claim.spec) ?? {}, fieldPath("spec")),
    ];
  },

  validateUpdate(claim, old) {
    return [
      ...validateObjectMetaUpdate(claim.metadata ?? {}, old.metadata ?? {}, {
        standardFinalizersOnly: true,
      }),
      ...validatePersistentVolumeClaimUpdate(claim, old),
    ];
  },

  selectableFields(claim) {
    // Upstream keeps this bare `name` for old clients.
    return { name: stringOf(claim.metadata?.name) };
  },
};

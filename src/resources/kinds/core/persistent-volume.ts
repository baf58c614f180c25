/**
 * PersistentVolume (core/v1): a piece of storage, cluster-scoped, bound to a claim by
 * the volume binder. Retained by default when released; its source is fixed.
 */
import type { KindDefinition } from "../../kind.ts";
import { isRecord, recordOf, stringOf } from "./json-value.ts";
import {
  validatePersistentVolume,
  validatePersistentVolumeUpdate,
} from "./persistent-volume.validation.ts";
import { canonicalizeResourceList } from "./resource-requirements.ts";
import { keepStatus } from "./status-strategy.ts";

export const persistentVolumeKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "PersistentVolume",
  resource: "persistentvolumes",
  singular: "persistentvolume",
  namespaced: false,
  schemaRef: "core/v1.PersistentVolume",
  hasStatus: true,
  tracksGeneration: false,
  shortNames: ["pv"],
  subresources: ["status"],

  defaults(volume) {
    const spec = recordOf(volume.spec);
    if (spec) {
      if (!spec.persistentVolumeReclaimPolicy) spec.persistentVolumeReclaimPolicy = "Retain";
      if (!spec.volumeMode) spec.volumeMode = "Filesystem";
      canonicalizeResourceList(spec.capacity);
      const hostPath = recordOf(spec.hostPath);
      if (hostPath && (hostPath.type === undefined || hostPath.type === null)) hostPath.type = "";
    }
    const status = isRecord(volume.status) ? volume.status : {};
    if (!status.phase) status.phase = "Pending";
    volume.status = status;
  },

  prepareForCreate(volume) {
    // Seconds precision: metav1.Time serialises whole seconds.
    const now = `${new Date().toISOString().slice(0, 19)}Z`;
    volume.status = { phase: "Pending", lastPhaseTransitionTime: now };
  },

  prepareForUpdate(volume, old) {
    keepStatus(volume, old);
  },

  validate: validatePersistentVolume,
  validateUpdate: validatePersistentVolumeUpdate,

  selectableFields(volume) {
    // Upstream keeps this bare `name` for old clients.
    return { name: stringOf(volume.metadata?.name) };
  },
};

/**
 * DefaultStorageClass admission (upstream plugin/pkg/admission/storage/storageclass/
 * setdefault): a new PersistentVolumeClaim that names no class gets the cluster's
 * default StorageClass. An empty storageClassName is a choice (no class) and stays.
 */
import type { ObjectReader, ResourceRef } from "../../auth/types.ts";
import { ensureRecord } from "../../resources/kinds/core/json-value.ts";
import { defaultStorageClass } from "../../resources/kinds/storage/default-storage-class.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";
import { isMainResource } from "./admission-support.ts";

const CLAIMS: ResourceRef = { group: "", resource: "persistentvolumeclaims" };
const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", resource: "storageclasses" };
const BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

export class DefaultStorageClass implements AdmissionPlugin {
  readonly name = "DefaultStorageClass";

  constructor(private readonly reader: ObjectReader) {}

  async mutate(request: AdmissionRequest): Promise<void> {
    if (request.operation !== "CREATE" || !isMainResource(request, CLAIMS)) return;
    const claim = request.object;
    const spec = ensureRecord(claim, "spec");
    if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
    if (claim.metadata?.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return;
    const chosen = defaultStorageClass(this.reader.list(STORAGE_CLASSES));
    if (chosen) spec.storageClassName = chosen.metadata?.name;
  }
}

/**
 * Storage: PersistentVolumes and PersistentVolumeClaims (core/v1), StorageClasses,
 * VolumeAttachments, CSIDrivers, CSINodes and CSIStorageCapacities (storage.k8s.io/v1).
 */
import type { KubeObject } from "../kind.ts";
import { ageOf, isDeleting, nameOf } from "./object-meta-cells.ts";
import { quantityCell } from "./quantity-cell.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface PersistentVolume {
  spec?: {
    capacity?: Record<string, string> | null;
    accessModes?: string[] | null;
    persistentVolumeReclaimPolicy?: string;
    claimRef?: { namespace?: string; name?: string } | null;
    storageClassName?: string;
    volumeAttributesClassName?: string | null;
    volumeMode?: string | null;
  } | null;
  status?: { phase?: string; reason?: string } | null;
}

interface PersistentVolumeClaim {
  spec?: {
    volumeName?: string;
    storageClassName?: string | null;
    volumeAttributesClassName?: string | null;
    volumeMode?: string | null;
  } | null;
  status?: {
    phase?: string;
    capacity?: Record<string, string> | null;
    accessModes?: string[] | null;
  } | null;
}

interface StorageClass {
  provisioner?: string;
  reclaimPolicy?: string | null;
  volumeBindingMode?: string | null;
  allowVolumeExpansion?: boolean | null;
}

interface VolumeAttachment {
  spec?: {
    attacher?: string;
    nodeName?: string;
    source?: { persistentVolumeName?: string | null } | null;
  } | null;
  status?: { attached?: boolean } | null;
}

interface CSIDriver {
  spec?: {
    attachRequired?: boolean | null;
    podInfoOnMount?: boolean | null;
    storageCapacity?: boolean | null;
    tokenRequests?: { audience?: string }[] | null;
    requiresRepublish?: boolean | null;
    volumeLifecycleModes?: string[] | null;
  } | null;
}

const persistentVolumeColumns = [
  nameColumn,
  column(
    "Capacity",
    "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity",
  ),
  column(
    "Access Modes",
    "accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes",
  ),
  column(
    "Reclaim Policy",
    "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming",
  ),
  column(
    "Status",
    "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase",
  ),
  column(
    "Claim",
    "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding",
  ),
  column("StorageClass", "StorageClass of the pv"),
  column("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
  column(
    "Reason",
    "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.",
  ),
  ageColumn,
  column(
    "VolumeMode",
    "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.",
    { priority: 1 },
  ),
];

const persistentVolumeClaimColumns = [
  nameColumn,
  column("Status", "phase represents the current phase of PersistentVolumeClaim."),
  column(
    "Volume",
    "volumeName is the binding reference to the PersistentVolume backing this claim.",
  ),
  column("Capacity", "capacity represents the actual resources of the underlying volume."),
  column(
    "Access Modes",
    "accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1",
  ),
  column("StorageClass", "StorageClass of the pvc"),
  column("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
  ageColumn,
  column(
    "VolumeMode",
    "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.",
    { priority: 1 },
  ),
];

const storageClassColumns = [
  nameColumn,
  column("Provisioner", "provisioner indicates the type of the provisioner."),
  column(
    "ReclaimPolicy",
    "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.",
  ),
  column(
    "VolumeBindingMode",
    "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.",
  ),
  column(
    "AllowVolumeExpansion",
    "allowVolumeExpansion shows whether the storage class allow volume expand.",
  ),
  ageColumn,
];

const volumeAttachmentColumns = [
  nameColumn,
  column(
    "Attacher",
    "attacher indicates the name of the volume driver that MUST handle this request. This is the name returned by GetPluginName().",
    { format: "name" },
  ),
  column("PV", "persistentVolumeName represents the name of the persistent volume to attach."),
  column("Node", "nodeName represents the node that the volume should be attached to."),
  column(
    "Attached",
    "attached indicates the volume is successfully attached. This field must only be set by the entity completing the attach operation, i.e. the external-attacher.",
    { type: "boolean" },
  ),
  ageColumn,
];

const csiDriverColumns = [
  nameColumn,
  column(
    "AttachRequired",
    "attachRequired indicates this CSI volume driver requires an attach operation (because it implements the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach controller should call the attach volume interface which checks the volumeattachment status and waits until the volume is attached before proceeding to mounting. The CSI external-attacher coordinates with CSI volume driver and updates the volumeattachment status when the attach operation is complete. If the value is specified to false, the attach operation will be skipped. Otherwise the attach operation will be called.\n\nThis field is immutable.",
    { type: "boolean" },
  ),
  column(
    "PodInfoOnMount",
    'podInfoOnMount indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations, if set to true. If set to false, pod information will not be passed on mount. Default is false.\n\nThe CSI driver specifies podInfoOnMount as part of driver deployment. If true, Kubelet will pass pod information as VolumeContext in the CSI NodePublishVolume() calls. The CSI driver is responsible for parsing and validating the information passed in as VolumeContext.\n\nThe following VolumeContext will be passed if podInfoOnMount is set to true. This list might grow, but the prefix will be used. "csi.storage.k8s.io/pod.name": pod.Name "csi.storage.k8s.io/pod.namespace": pod.Namespace "csi.storage.k8s.io/pod.uid": string(pod.UID) "csi.storage.k8s.io/ephemeral": "true" if the volume is an ephemeral inline volume\n                                defined by a CSIVolumeSource, otherwise "false"\n\n"csi.storage.k8s.io/ephemeral" is a new feature in Kubernetes 1.16. It is only required for drivers which support both the "Persistent" and "Ephemeral" VolumeLifecycleMode. Other drivers can leave pod info disabled and/or ignore this field. As Kubernetes 1.15 doesn\'t support this field, drivers can only support one mode when deployed on such a cluster and the deployment determines which mode that is, for example via a command line parameter of the driver.\n\nThis field was immutable in Kubernetes < 1.29 and now is mutable.',
    { type: "boolean" },
  ),
  column(
    "StorageCapacity",
    "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity that the driver deployment will report by creating CSIStorageCapacity objects with capacity information, if set to true.\n\nThe check can be enabled immediately when deploying a driver. In that case, provisioning new volumes with late binding will pause until the driver deployment has published some suitable CSIStorageCapacity object.\n\nAlternatively, the driver can be deployed with the field unset or false and it can be flipped later when storage capacity information has been published.\n\nThis field was immutable in Kubernetes <= 1.22 and now is mutable.",
    { type: "boolean" },
  ),
  column(
    "TokenRequests",
    'tokenRequests indicates the CSI driver needs pods\' service account tokens it is mounting volume for to do necessary authentication. Kubelet will pass the tokens in VolumeContext in the CSI NodePublishVolume calls. The CSI driver should parse and validate the following VolumeContext: "csi.storage.k8s.io/serviceAccount.tokens": {\n  "<audience>": {\n    "token": <token>,\n    "expirationTimestamp": <expiration timestamp in RFC3339>,\n  },\n  ...\n}\n\nNote: Audience in each TokenRequest should be different and at most one token is empty string. To receive a new token after expiry, RequiresRepublish can be used to trigger NodePublishVolume periodically.',
  ),
  column(
    "RequiresRepublish",
    "requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to reflect any possible change in the mounted volume. This field defaults to false.\n\nNote: After a successful initial NodePublishVolume call, subsequent calls to NodePublishVolume should only update the contents of the volume. New mount points will not be seen by a running container.",
    { type: "boolean" },
  ),
  column(
    "Modes",
    'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports. The default if the list is empty is "Persistent", which is the usage defined by the CSI specification and implemented in Kubernetes via the usual PV/PVC mechanism.\n\nThe other mode is "Ephemeral". In this mode, volumes are defined inline inside the pod spec with CSIVolumeSource and their lifecycle is tied to the lifecycle of that pod. A driver has to be aware of this because it is only going to get a NodePublishVolume call for such a volume.\n\nFor more information about implementing this mode, see https://kubernetes-csi.github.io/docs/ephemeral-local-volumes.html A driver can support one or more of these modes and more modes may be added in the future.\n\nThis field is beta. This field is immutable.',
  ),
  ageColumn,
];

const csiNodeColumns = [
  nameColumn,
  column("Drivers", "Drivers indicates the number of CSI drivers registered on the node", {
    type: "integer",
  }),
  ageColumn,
];

const csiStorageCapacityColumns = [
  nameColumn,
  column(
    "StorageClassName",
    "storageClassName represents the name of the StorageClass that the reported capacity applies to. It must meet the same requirements as the name of a StorageClass object (non-empty, DNS subdomain). If that object no longer exists, the CSIStorageCapacity object is obsolete and should be removed by its creator. This field is immutable.",
  ),
  column(
    "Capacity",
    "capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest with topology and parameters that match the previous fields.\n\nThe semantic is currently (CSI spec 1.2) defined as: The available capacity, in bytes, of the storage that can be used to provision volumes. If not set, that information is currently unavailable.",
  ),
];

/** The beta annotation still overrides storageClassName when present, even if empty. */
const betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class";
const defaultClassAnnotations = [
  "storageclass.kubernetes.io/is-default-class",
  "storageclass.beta.kubernetes.io/is-default-class",
];

/** ACCESS MODES: RWO, ROX, RWX, RWOP, always in that order whatever the spec's order. */
function accessModes(modes: readonly string[] | null | undefined): string {
  const present = new Set(modes ?? []);
  const abbreviations: [string, string][] = [
    ["ReadWriteOnce", "RWO"],
    ["ReadOnlyMany", "ROX"],
    ["ReadWriteMany", "RWX"],
    ["ReadWriteOncePod", "RWOP"],
  ];
  return abbreviations
    .filter(([mode]) => present.has(mode))
    .map(([, short]) => short)
    .join(",");
}

function annotatedClass(object: KubeObject): string | undefined {
  const annotations = object.metadata?.annotations ?? {};
  return Object.hasOwn(annotations, betaStorageClassAnnotation)
    ? annotations[betaStorageClassAnnotation]
    : undefined;
}

function persistentVolumeCells(object: KubeObject): unknown[] {
  const pv = object as PersistentVolume;
  const claim = pv.spec?.claimRef;
  return [
    quantityCell(pv.spec?.capacity?.storage),
    accessModes(pv.spec?.accessModes),
    pv.spec?.persistentVolumeReclaimPolicy ?? "",
    isDeleting(object) ? "Terminating" : (pv.status?.phase ?? ""),
    claim ? `${claim.namespace ?? ""}/${claim.name ?? ""}` : "",
    annotatedClass(object) ?? pv.spec?.storageClassName ?? "",
    pv.spec?.volumeAttributesClassName ?? "<unset>",
    pv.status?.reason ?? "",
  ];
}

/** CAPACITY and ACCESS MODES come from status, and only once the claim names its volume. */
function persistentVolumeClaimCells(object: KubeObject): unknown[] {
  const pvc = object as PersistentVolumeClaim;
  const volumeName = pvc.spec?.volumeName ?? "";
  const bound = volumeName !== "";
  return [
    isDeleting(object) ? "Terminating" : (pvc.status?.phase ?? ""),
    volumeName,
    bound ? quantityCell(pvc.status?.capacity?.storage) : "",
    bound ? accessModes(pvc.status?.accessModes) : "",
    annotatedClass(object) ?? pvc.spec?.storageClassName ?? "",
    pvc.spec?.volumeAttributesClassName ?? "<unset>",
  ];
}

/** NAME of a storage class, marked " (default)" when annotated as the cluster's default. */
function storageClassName(object: KubeObject): string {
  const annotations = object.metadata?.annotations ?? {};
  const isDefault = defaultClassAnnotations.some((key) => annotations[key] === "true");
  return isDefault ? `${nameOf(object)} (default)` : nameOf(object);
}

function csiDriverCells(driver: CSIDriver): unknown[] {
  const spec = driver.spec ?? {};
  const tokenRequests = spec.tokenRequests;
  const modes = (spec.volumeLifecycleModes ?? []).join(",");
  return [
    spec.attachRequired ?? true,
    spec.podInfoOnMount ?? false,
    spec.storageCapacity ?? false,
    tokenRequests ? tokenRequests.map((t) => t.audience ?? "").join(",") : "<unset>",
    spec.requiresRepublish ?? false,
    modes || "<none>",
  ];
}

export const storagePrinters: PrinterSet = {
  persistentvolumes: {
    columns: persistentVolumeColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const pv = object as PersistentVolume;
      return [
        nameOf(object),
        ...persistentVolumeCells(object),
        ageOf(object, now),
        pv.spec?.volumeMode ?? "<unset>",
      ];
    },
  },
  persistentvolumeclaims: {
    columns: persistentVolumeClaimColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const pvc = object as PersistentVolumeClaim;
      return [
        nameOf(object),
        ...persistentVolumeClaimCells(object),
        ageOf(object, now),
        pvc.spec?.volumeMode ?? "<unset>",
      ];
    },
  },
  "storageclasses.storage.k8s.io": {
    columns: storageClassColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const storageClass = object as StorageClass;
      return [
        storageClassName(object),
        storageClass.provisioner ?? "",
        // Upstream prints the API defaults when the fields are unset.
        storageClass.reclaimPolicy ?? "Delete",
        storageClass.volumeBindingMode ?? "Immediate",
        storageClass.allowVolumeExpansion ?? false,
        ageOf(object, now),
      ];
    },
  },
  "volumeattachments.storage.k8s.io": {
    columns: volumeAttachmentColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const attachment = object as VolumeAttachment;
      return [
        nameOf(object),
        attachment.spec?.attacher ?? "",
        attachment.spec?.source?.persistentVolumeName ?? "",
        attachment.spec?.nodeName ?? "",
        attachment.status?.attached ?? false,
        ageOf(object, now),
      ];
    },
  },
  "csidrivers.storage.k8s.io": {
    columns: csiDriverColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      return [nameOf(object), ...csiDriverCells(object as CSIDriver), ageOf(object, now)];
    },
  },
  "csinodes.storage.k8s.io": {
    columns: csiNodeColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const drivers = (object as { spec?: { drivers?: unknown[] | null } | null }).spec?.drivers;
      return [nameOf(object), (drivers ?? []).length, ageOf(object, now)];
    },
  },
  "csistoragecapacities.storage.k8s.io": {
    columns: csiStorageCapacityColumns,
    cells(object: KubeObject): unknown[] {
      const capacity = object as { storageClassName?: string; capacity?: string | null };
      return [
        nameOf(object),
        capacity.storageClassName ?? "",
        capacity.capacity === undefined || capacity.capacity === null
          ? "<unset>"
          : quantityCell(capacity.capacity),
      ];
    },
  },
};

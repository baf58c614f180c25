/**
 * Workload controllers: Deployments, ReplicaSets, DaemonSets, StatefulSets and
 * ControllerRevisions (apps/v1), ReplicationControllers (core/v1).
 */
import type { KubeObject } from "../kind.ts";
import type { MetaV1LabelSelector } from "../labels/label-selector.ts";
import { LabelSelector } from "../labels/label-selector.ts";
import { type ContainerLike, containerCells } from "./container-cells.ts";
import { formatLabelSelector, formatLabels } from "./label-cells.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, containersColumn, imagesColumn, nameColumn } from "./table-column.ts";

interface PodTemplateSpec {
  spec?: {
    containers?: ContainerLike[] | null;
    nodeSelector?: Record<string, string> | null;
  } | null;
}

interface Workload {
  spec?: {
    replicas?: number | null;
    selector?: MetaV1LabelSelector | null;
    template?: PodTemplateSpec | null;
  } | null;
  status?: {
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  } | null;
}

interface ReplicationController {
  spec?: {
    replicas?: number | null;
    selector?: Record<string, string> | null;
    template?: PodTemplateSpec | null;
  } | null;
  status?: { replicas?: number; readyReplicas?: number } | null;
}

interface DaemonSet {
  spec?: { selector?: MetaV1LabelSelector | null; template?: PodTemplateSpec | null } | null;
  status?: {
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
  } | null;
}

const deploymentColumns = [
  nameColumn,
  column("Ready", "Number of the pod with ready state"),
  column(
    "Up-to-date",
    "Total number of non-terminating pods targeted by this deployment that have the desired template spec.",
  ),
  column(
    "Available",
    "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.",
  ),
  ageColumn,
  containersColumn(),
  imagesColumn(),
  column(
    "Selector",
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
    { priority: 1 },
  ),
];

const replicaSetColumns = [
  nameColumn,
  column(
    "Desired",
    "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
    { type: "integer" },
  ),
  column(
    "Current",
    "Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
    { type: "integer" },
  ),
  column(
    "Ready",
    "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
    { type: "integer" },
  ),
  ageColumn,
  containersColumn(),
  imagesColumn(),
  column(
    "Selector",
    "Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    { priority: 1 },
  ),
];

const replicationControllerColumns = [
  nameColumn,
  column(
    "Desired",
    "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller",
    { type: "integer" },
  ),
  column(
    "Current",
    "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller",
    { type: "integer" },
  ),
  column("Ready", "The number of ready replicas for this replication controller.", {
    type: "integer",
  }),
  ageColumn,
  containersColumn(),
  imagesColumn(),
  column(
    "Selector",
    "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    { priority: 1 },
  ),
];

const daemonSetColumns = [
  nameColumn,
  column(
    "Desired",
    "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/",
    { type: "integer" },
  ),
  column(
    "Current",
    "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/",
    { type: "integer" },
  ),
  column(
    "Ready",
    "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.",
    { type: "integer" },
  ),
  column("Up-to-date", "The total number of nodes that are running updated daemon pod", {
    type: "integer",
  }),
  column(
    "Available",
    "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)",
    { type: "integer" },
  ),
  column(
    "Node Selector",
    "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
  ),
  ageColumn,
  containersColumn(),
  imagesColumn(),
  column(
    "Selector",
    "A label query over pods that are managed by the daemon set. Must match in order to be controlled. If empty, defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    { priority: 1 },
  ),
];

const statefulSetColumns = [
  nameColumn,
  column("Ready", "Number of the pod with ready state"),
  ageColumn,
  containersColumn(),
  imagesColumn(),
];

const controllerRevisionColumns = [
  nameColumn,
  column("Controller", "Controller of the object"),
  column("Revision", "revision indicates the revision of the state represented by Data."),
  ageColumn,
];

/** spec.replicas is defaulted to 1 by the API server, so unset reads as 1. */
function desiredReplicas(replicas: number | null | undefined): number {
  return replicas ?? 1;
}

/**
 * SELECTOR of a deployment: upstream prints the parsed selector itself (empty when it
 * selects everything) rather than FormatLabelSelector's "<none>", and "<invalid>" when
 * it cannot be parsed.
 */
function deploymentSelector(selector: MetaV1LabelSelector | null | undefined): string {
  try {
    return LabelSelector.fromObject(selector).toString();
  } catch {
    return "<invalid>";
  }
}

/**
 * CONTROLLER of a revision: "kind.group/name" of its controlling owner in lower case
 * ("statefulset.apps/web"), "<none>" without one.
 */
function controllerName(object: KubeObject): string {
  const owner = object.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  if (owner === undefined) return "<none>";
  const apiVersion = owner.apiVersion ?? "";
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const kind = owner.kind ?? "";
  if (kind === "" && group === "") return owner.name;
  const groupKind = group === "" ? kind : `${kind}.${group}`;
  return `${groupKind.toLowerCase()}/${owner.name}`;
}

export const workloadPrinters: PrinterSet = {
  "deployments.apps": {
    columns: deploymentColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const { spec, status } = object as Workload;
      const [names, images] = containerCells(spec?.template?.spec?.containers);
      return [
        nameOf(object),
        `${status?.readyReplicas ?? 0}/${desiredReplicas(spec?.replicas)}`,
        status?.updatedReplicas ?? 0,
        status?.availableReplicas ?? 0,
        ageOf(object, now),
        names,
        images,
        deploymentSelector(spec?.selector),
      ];
    },
  },
  "replicasets.apps": {
    columns: replicaSetColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const { spec, status } = object as Workload;
      const [names, images] = containerCells(spec?.template?.spec?.containers);
      return [
        nameOf(object),
        desiredReplicas(spec?.replicas),
        status?.replicas ?? 0,
        status?.readyReplicas ?? 0,
        ageOf(object, now),
        names,
        images,
        formatLabelSelector(spec?.selector),
      ];
    },
  },
  replicationcontrollers: {
    columns: replicationControllerColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const { spec, status } = object as ReplicationController;
      const [names, images] = containerCells(spec?.template?.spec?.containers);
      return [
        nameOf(object),
        desiredReplicas(spec?.replicas),
        status?.replicas ?? 0,
        status?.readyReplicas ?? 0,
        ageOf(object, now),
        names,
        images,
        formatLabels(spec?.selector),
      ];
    },
  },
  "daemonsets.apps": {
    columns: daemonSetColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const { spec, status } = object as DaemonSet;
      const [names, images] = containerCells(spec?.template?.spec?.containers);
      return [
        nameOf(object),
        status?.desiredNumberScheduled ?? 0,
        status?.currentNumberScheduled ?? 0,
        status?.numberReady ?? 0,
        status?.updatedNumberScheduled ?? 0,
        status?.numberAvailable ?? 0,
        formatLabels(spec?.template?.spec?.nodeSelector),
        ageOf(object, now),
        names,
        images,
        formatLabelSelector(spec?.selector),
      ];
    },
  },
  "statefulsets.apps": {
    columns: statefulSetColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const { spec, status } = object as Workload;
      const [names, images] = containerCells(spec?.template?.spec?.containers);
      return [
        nameOf(object),
        `${status?.readyReplicas ?? 0}/${desiredReplicas(spec?.replicas)}`,
        ageOf(object, now),
        names,
        images,
      ];
    },
  },
  "controllerrevisions.apps": {
    columns: controllerRevisionColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const revision = (object as { revision?: number }).revision ?? 0;
      return [nameOf(object), controllerName(object), revision, ageOf(object, now)];
    },
  },
};
